/// Recognises audio containers from their first bytes, so that a non-audio file is refused
/// before anything reaches the store.
enum AudioSniffer {
    /// A recognised container: its usual content type and file extension.
    struct Format: Sendable, Equatable {
        let name: String
        let contentType: String
        let fileExtension: String
    }

    /// Bytes needed by ``sniff(_:)``.
    static let prefixLength = 12

    static func sniff(_ bytes: [UInt8]) -> Format? {
        func ascii(_ offset: Int, _ text: String) -> Bool {
            let expected = Array(text.utf8)
            guard bytes.count >= offset + expected.count else { return false }
            return Array(bytes[offset..<(offset + expected.count)]) == expected
        }
        if ascii(0, "ID3") { return Format(name: "MP3 (ID3)", contentType: "audio/mpeg", fileExtension: "mp3") }
        if ascii(0, "fLaC") { return Format(name: "FLAC", contentType: "audio/flac", fileExtension: "flac") }
        if ascii(0, "RIFF") && ascii(8, "WAVE") {
            return Format(name: "WAV", contentType: "audio/wav", fileExtension: "wav")
        }
        if ascii(0, "FORM") && (ascii(8, "AIFF") || ascii(8, "AIFC")) {
            return Format(name: "AIFF", contentType: "audio/aiff", fileExtension: "aiff")
        }
        if ascii(0, "OggS") { return Format(name: "Ogg", contentType: "audio/ogg", fileExtension: "ogg") }
        if ascii(4, "ftyp") { return Format(name: "MP4/M4A", contentType: "audio/mp4", fileExtension: "m4a") }
        if ascii(0, "caff") { return Format(name: "CAF", contentType: "audio/x-caf", fileExtension: "caf") }
        if bytes.count >= 2, bytes[0] == 0xFF, bytes[1] & 0xE0 == 0xE0 {
            // MPEG audio frame sync (11 bits): MP3 without ID3, or ADTS AAC (layer bits 00).
            if bytes[1] & 0x06 == 0 {
                return Format(name: "AAC (ADTS)", contentType: "audio/aac", fileExtension: "aac")
            }
            return Format(name: "MPEG audio", contentType: "audio/mpeg", fileExtension: "mp3")
        }
        return nil
    }
}
