import Foundation
import NIOCore

#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML element: enough of a DOM for S3's small response documents.
struct XMLNode: Sendable {
    var name: String
    var text: String = ""
    var children: [XMLNode] = []

    /// The first child element named `name`.
    func child(_ name: String) -> XMLNode? {
        self.children.first { $0.name == name }
    }

    /// The child elements named `name`.
    func children(_ name: String) -> [XMLNode] {
        self.children.filter { $0.name == name }
    }

    /// The text of the first child element named `name`.
    func value(_ name: String) -> String? {
        self.child(name)?.text
    }
}

/// Parsing and writing the XML documents of the S3 API.
enum S3XML {
    /// The largest XML body read from S3 (list, initiate, complete and error responses).
    static let maximumBodySize = 1024 * 1024

    /// Parses a document and returns its root element.
    static func parse(_ buffer: ByteBuffer) throws -> XMLNode {
        // Complete-multipart may send whitespace to keep the connection alive before the document.
        let bytes = buffer.readableBytesView.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        let builder = TreeBuilder()
        let parser = XMLParser(data: Data(bytes))
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            let reason = parser.parserError.map { "\($0)" } ?? "empty document"
            throw StorageError.unexpectedResponse.with(message: "The store sent XML that does not parse: \(reason).")
        }
        return root
    }

    /// The body of a CompleteMultipartUpload request.
    static func completeMultipartUpload(_ parts: [CompletedPart]) -> ByteBuffer {
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"#
        xml += #"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#
        for part in parts {
            xml += "<Part><PartNumber>\(part.partNumber)</PartNumber>"
            xml += "<ETag>\(self.escape("\"" + part.etag.unquotedETag + "\""))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        return ByteBuffer(string: xml)
    }

    /// The body of a CreateBucket request outside `us-east-1`.
    static func createBucketConfiguration(region: String) -> ByteBuffer {
        ByteBuffer(
            string: #"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#
                + "<LocationConstraint>\(self.escape(region))</LocationConstraint></CreateBucketConfiguration>"
        )
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    private final class TreeBuilder: NSObject, XMLParserDelegate {
        var stack: [XMLNode] = []
        var root: XMLNode?

        func parser(
            _ parser: XMLParser,
            didStartElement elementName: String,
            namespaceURI: String?,
            qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            self.stack.append(XMLNode(name: elementName))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard !self.stack.isEmpty else { return }
            self.stack[self.stack.count - 1].text += string
        }

        func parser(
            _ parser: XMLParser,
            didEndElement elementName: String,
            namespaceURI: String?,
            qualifiedName: String?
        ) {
            guard let node = self.stack.popLast() else { return }
            if self.stack.isEmpty {
                self.root = node
            } else {
                self.stack[self.stack.count - 1].children.append(node)
            }
        }
    }
}

/// Dates as S3 writes them.
enum S3Date {
    /// Parses ISO 8601 as in XML bodies: `2024-05-01T12:34:56.789Z`.
    static func parseISO8601(_ text: String) -> Date? {
        let digits = Array(text.utf8)
        guard digits.count >= 20 else { return nil }
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= digits.count else { return nil }
            var value = 0
            for byte in digits[from..<(from + count)] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2)
        else { return nil }
        var fraction = 0.0
        if digits[19] == UInt8(ascii: ".") {
            var scale = 0.1
            var index = 20
            while index < digits.count, (48...57).contains(digits[index]) {
                fraction += Double(digits[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        return self.date(year, month, day, hour, minute, second, fraction)
    }

    /// Parses an HTTP date (IMF-fixdate): `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func parseHTTP(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, let day = Int(parts[1]), let year = Int(parts[3]) else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let month = months.firstIndex(of: String(parts[2])) else { return nil }
        let time = parts[4].split(separator: ":").compactMap { Int($0) }
        guard time.count == 3 else { return nil }
        return self.date(year, month + 1, day, time[0], time[1], time[2], 0)
    }

    private static func date(_ y: Int, _ m: Int, _ d: Int, _ h: Int, _ min: Int, _ s: Int, _ fraction: Double) -> Date {
        // Days from 1970-01-01 to y-m-d (Howard Hinnant's days_from_civil).
        let year = m <= 2 ? y - 1 : y
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let dayOfYear = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = Double(days * 86_400 + h * 3600 + min * 60 + s) + fraction
        return Date(timeIntervalSince1970: seconds)
    }
}
