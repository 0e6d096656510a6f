import Foundation
import Testing

/// Log metadata keys follow one scheme, `<namespace>.<name>` in lower snake case (`upload.id`,
/// `job.attempt`, `transcode.duration_ms`, `error.message`), so a log query written for one module
/// works for all of them. This reads the sources and fails on any key outside the scheme.
@Suite("Log metadata keys")
struct LogMetadataKeysTests {
    static let sourcesDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    /// A key as written in a `metadata: [...]` literal or a `logger[metadataKey:]` subscript.
    struct Key: CustomStringConvertible {
        let name: String
        let file: String
        let line: Int
        var description: String { "\(self.file):\(self.line) \"\(self.name)\"" }
    }

    /// Every metadata key written in a Swift file under `Sources/`.
    static func keys() throws -> [Key] {
        let subscriptKey = try Regex(#"\[metadataKey:\s*"([^"]*)"\]"#)
        let literalKey = try Regex(#"^\s*"([^"\\]*)"\s*:"#)
        var keys: [Key] = []
        let files = FileManager.default.enumerator(at: Self.sourcesDirectory, includingPropertiesForKeys: nil)
        while let url = files?.nextObject() as? URL {
            guard url.pathExtension == "swift" else { continue }
            let file = url.path.replacingOccurrences(of: Self.sourcesDirectory.path + "/", with: "")
            let lines = try String(contentsOf: url, encoding: .utf8).split(
                separator: "\n",
                omittingEmptySubsequences: false
            )
            for (index, line) in lines.enumerated() {
                for match in line.matches(of: subscriptKey) {
                    keys.append(Key(name: String(line[match.output[1].range!]), file: file, line: index + 1))
                }
                // A `metadata: [` literal runs to its closing bracket, on this line or a later one.
                guard let start = line.range(of: "metadata: [") else { continue }
                var body = String(line[start.upperBound...])
                var next = index + 1
                while Self.bracketDepth(of: body) > -1 && next < lines.count {
                    body += "\n" + lines[next]
                    next += 1
                }
                // One entry per comma at depth 0: split naively, then read each entry's key.
                for entry in Self.topLevelEntries(of: body) {
                    if let match = entry.firstMatch(of: literalKey) {
                        keys.append(Key(name: String(entry[match.output[1].range!]), file: file, line: index + 1))
                    }
                }
            }
        }
        return keys
    }

    /// The depth after `text`, counting from inside the literal's `[` (so -1 means it closed).
    static func bracketDepth(of text: String) -> Int {
        var depth = 0
        var inString = false
        for character in text {
            if character == "\"" { inString.toggle() }
            guard !inString else { continue }
            if character == "[" || character == "(" { depth += 1 }
            if character == "]" || character == ")" {
                depth -= 1
                if depth < 0 { return -1 }
            }
        }
        return depth
    }

    /// The literal's entries (the text between commas at depth 0, up to its closing bracket).
    static func topLevelEntries(of text: String) -> [String] {
        var entries: [String] = []
        var current = ""
        var depth = 0
        var inString = false
        for character in text {
            if character == "\"" { inString.toggle() }
            if !inString {
                if character == "[" || character == "(" { depth += 1 }
                if character == "]" || character == ")" {
                    depth -= 1
                    if depth < 0 { break }
                }
                if character == "," && depth == 0 {
                    entries.append(current)
                    current = ""
                    continue
                }
            }
            current.append(character)
        }
        entries.append(current)
        return entries
    }

    @Test("the scan finds the keys it is meant to police")
    func scanSeesKeys() throws {
        let names = Set(try Self.keys().map(\.name))
        // Written as a subscript, on one line, and in a multi-line literal, respectively.
        #expect(names.isSuperset(of: ["job.id", "upload.id", "transcode.duration_ms"]))
    }

    @Test("every log metadata key is <namespace>.<name> in lower snake case")
    func namespaced() throws {
        let scheme = try Regex(#"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"#)
        let offenders = try Self.keys().filter { $0.name.wholeMatch(of: scheme) == nil }
        #expect(offenders.isEmpty, "keys outside the scheme: \(offenders)")
    }
}
