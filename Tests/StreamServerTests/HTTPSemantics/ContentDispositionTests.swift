import Testing

@testable import StreamServer

@Suite("Content-Disposition (RFC 6266, RFC 8187)")
struct ContentDispositionTests {
    @Test func asciiTitle() {
        let disposition = ContentDisposition(title: "My Song", fileExtension: "mp3")
        #expect(disposition.headerValue == "attachment; filename=\"My Song.mp3\"; filename*=UTF-8''My%20Song.mp3")
    }

    @Test func unicodeTitleGetsAFoldedFallback() {
        let disposition = ContentDisposition(title: "Bj\u{F6}rk \u{2013} J\u{F3}ga", fileExtension: "flac")
        #expect(disposition.fileName == "Bj\u{F6}rk \u{2013} J\u{F3}ga.flac")
        #expect(disposition.asciiFileName == "Bjork - Joga.flac")
        #expect(
            disposition.headerValue
                == "attachment; filename=\"Bjork - Joga.flac\"; filename*=UTF-8''Bj%C3%B6rk%20%E2%80%93%20J%C3%B3ga.flac"
        )
    }

    @Test(
        arguments: [
            ("\u{65E5}\u{672C}\u{8A9E}\u{306E}\u{6B4C}", "download.mp3"),
            ("He said \"hi\" 100%", "He said 'hi' 100_.mp3"),
            ("Mot\u{F6}rhead \u{2014} Ace of Spades", "Motorhead - Ace of Spades.mp3"),
            ("Cafe\u{301} del Mar", "Cafe del Mar.mp3"),
            ("Song \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467} \u{1F600}\u{1F600}", "Song _ _.mp3"),
            ("Stra\u{DF}e \u{C6}on \u{FE}orn", "Strasse AEon thorn.mp3"),
            ("\u{201C}Quoted\u{201D} \u{2026}", "'Quoted' ....mp3"),
            ("\u{2026}and more", "and more.mp3"),
        ]
    )
    func asciiFallbacks(_ title: String, _ fallback: String) {
        #expect(ContentDisposition(title: title, fileExtension: "mp3").asciiFileName == fallback)
    }

    @Test(
        arguments: [
            ("../../etc/passwd", "_.._etc_passwd.mp3"),
            ("C:\\Windows\\evil", "C:_Windows_evil.mp3"),
            ("a\u{0}b\nc\td\r\ne", "a b c d e.mp3"),
            ("evil\u{202E}3pm.exe", "evil3pm.exe.mp3"),
            ("  A   B  ", "A B.mp3"),
            ("A\u{A0}B\u{2028}C\u{3000}D", "A B C D.mp3"),
            ("...hidden.", "hidden.mp3"),
            ("", "download.mp3"),
            ("   ", "download.mp3"),
            ("...", "download.mp3"),
            ("\u{202E}\u{200F}", "download.mp3"),
        ]
    )
    func sanitisedNames(_ title: String, _ fileName: String) {
        #expect(ContentDisposition(title: title, fileExtension: "mp3").fileName == fileName)
    }

    @Test func lengthIsCappedOnCharacterBoundaries() {
        let ascii = ContentDisposition(title: String(repeating: "a", count: 500), fileExtension: "mp3")
        #expect(ascii.fileName == String(repeating: "a", count: 200) + ".mp3")
        let emoji = ContentDisposition(title: String(repeating: "\u{1F600}", count: 100), fileExtension: "mp3")
        #expect(emoji.fileName == String(repeating: "\u{1F600}", count: 50) + ".mp3")
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}"  // one character, 18 bytes
        let families = ContentDisposition(title: String(repeating: family, count: 20), fileExtension: "")
        #expect(families.fileName == String(repeating: family, count: 11))
    }

    @Test func extensionAndKind() {
        #expect(ContentDisposition(title: "S", fileExtension: ".MP3").fileName == "S.MP3")
        #expect(ContentDisposition(title: "S", fileExtension: "m/p3").fileName == "S.mp3")
        #expect(ContentDisposition(title: "S", fileExtension: "").fileName == "S")
        #expect(ContentDisposition(title: "S", fileExtension: "\u{E9}\u{E9}").fileName == "S")
        #expect(ContentDisposition(title: "S", fileExtension: String(repeating: "x", count: 40)).fileName.count == 18)
        #expect(ContentDisposition(title: "S", fileExtension: "ogg", kind: .inline).headerValue.hasPrefix("inline; "))
    }

    /// Random Unicode titles: the field stays printable ASCII and `filename*` decodes back to the name.
    @Test func randomTitlesStaySafe() throws {
        var random = SplitMix64(seed: 5)
        let pool: [Unicode.Scalar] = [
            "a", "Z", "0", " ", ".", "/", "\\", "\"", "%", "'", ";", "=", "\u{0}", "\n", "\u{7F}", "\u{85}", "\u{A0}",
            "\u{E9}", "\u{301}", "\u{202E}", "\u{200D}", "\u{2028}", "\u{FEFF}", "\u{65E5}", "\u{1F600}", "\u{10FFFF}",
        ]
        for _ in 0..<500 {
            var scalars = String.UnicodeScalarView()
            let length = random.chance(1, in: 8) ? 100 + random.below(200) : random.below(40)
            for _ in 0..<length { scalars.append(random.pick(pool)) }
            let disposition = ContentDisposition(title: String(scalars), fileExtension: "mp3")
            let header = disposition.headerValue
            try #require(header.utf8.allSatisfy { (0x20...0x7E).contains($0) }, "\(header)")
            try #require(!disposition.asciiFileName.contains(where: { "\"\\%/".contains($0) }))
            try #require(!disposition.fileName.unicodeScalars.contains { $0.properties.generalCategory == .control })
            try #require(!disposition.fileName.contains("/") && !disposition.fileName.contains("\\"))
            try #require(disposition.fileName.utf8.count <= ContentDisposition.maximumBaseNameBytes + 4)
            let encoded = try #require(header.split(separator: "''").last)
            try #require(Self.percentDecoded(encoded) == disposition.fileName)
        }
    }

    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            else { return nil }
            bytes.append(value)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
