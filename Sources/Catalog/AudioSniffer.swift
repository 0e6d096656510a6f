/// Recognises the audio containers a track may be, from real headers: ingest refuses anything
/// else at `complete`, and the transcoder opens a source only with the demuxer named here.
///
/// An ID3v2 tag is skipped by its synchsafe size, and what follows it must be an MPEG audio or
/// ADTS frame, or a FLAC stream header: a tag in front of a playlist, a concat script or a text
/// file is not audio. MPEG audio and ADTS frames are checked the way a decoder finds them: a
/// valid header, and where the bytes reach that far, a second header exactly one frame later.
public enum AudioSniffer {
    /// A recognised container.
    public struct Format: Sendable, Equatable {
        public let name: String
        public let contentType: String
        public let fileExtension: String
        /// FFmpeg's demuxer for it (`av_find_input_format`).
        public let demuxer: String
    }

    /// Every FFmpeg demuxer a sniffed format may name: the `format_whitelist` of every open.
    public static let demuxers = ["mp3", "aac", "flac", "wav", "aiff", "ogg", "mov", "caf"]

    /// Bytes read at the start of the file, and again behind an ID3v2 tag.
    public static let probeLength = 16 * 1024

    /// Where the audio starts after at most this many ID3v2 tags.
    static let maxTags = 4

    static let mp3 = Format(name: "MPEG audio", contentType: "audio/mpeg", fileExtension: "mp3", demuxer: "mp3")
    static let adts = Format(name: "AAC (ADTS)", contentType: "audio/aac", fileExtension: "aac", demuxer: "aac")
    static let flac = Format(name: "FLAC", contentType: "audio/flac", fileExtension: "flac", demuxer: "flac")
    static let wav = Format(name: "WAV", contentType: "audio/wav", fileExtension: "wav", demuxer: "wav")
    static let aiff = Format(name: "AIFF", contentType: "audio/aiff", fileExtension: "aiff", demuxer: "aiff")
    static let ogg = Format(name: "Ogg", contentType: "audio/ogg", fileExtension: "ogg", demuxer: "ogg")
    static let mp4 = Format(name: "MP4/M4A", contentType: "audio/mp4", fileExtension: "m4a", demuxer: "mov")
    static let caf = Format(name: "CAF", contentType: "audio/x-caf", fileExtension: "caf", demuxer: "caf")

    /// Every format ``sniff(read:)`` recognises: what `GET /api/v1/upload/limits` lists.
    public static let formats = [mp3, adts, flac, wav, aiff, ogg, mp4, caf]

    /// Sniffs a file through `read(offset, length)`, which returns up to `length` bytes from
    /// `offset` (fewer at the end of the file, none past it).
    ///
    /// - Returns: The format, or nil when the file is not audio we accept.
    public static func sniff(
        read: (_ offset: Int64, _ length: Int) async throws -> [UInt8]
    ) async rethrows -> Format? {
        var scan = Scan()
        while case .read(let offset) = scan.next {
            scan.feed(try await read(offset, probeLength))
        }
        return scan.result
    }

    /// ``sniff(read:)`` with a blocking reader (ingest reads its spool files).
    public static func sniffSync(read: (_ offset: Int64, _ length: Int) throws -> [UInt8]) rethrows -> Format? {
        var scan = Scan()
        while case .read(let offset) = scan.next {
            scan.feed(try read(offset, probeLength))
        }
        return scan.result
    }

    /// Sniffs the first bytes of a file (an ID3v2 tag must end within them).
    public static func sniff(_ bytes: [UInt8]) -> Format? {
        sniffSync { offset, length in
            guard offset < Int64(bytes.count) else { return [] }
            return Array(bytes[Int(offset)..<min(bytes.count, Int(offset) + length)])
        }
    }

    /// The reads a sniff needs: the file's start, then the bytes behind each ID3v2 tag.
    struct Scan {
        enum Next: Equatable {
            case read(offset: Int64)
            case done
        }

        private(set) var next = Next.read(offset: 0)
        private(set) var result: Format?
        private var tags = 0

        mutating func feed(_ bytes: [UInt8]) {
            guard case .read(let offset) = self.next else { return }
            if let size = AudioSniffer.id3v2Size(bytes) {
                self.tags += 1
                self.next = self.tags <= AudioSniffer.maxTags ? .read(offset: offset + size) : .done
                return
            }
            self.result = self.tags > 0 ? AudioSniffer.behindID3(bytes) : AudioSniffer.container(bytes)
            self.next = .done
        }
    }

    /// The total length of an ID3v2 tag at the start of `bytes` (header, body and footer), or nil
    /// when there is none. The size is synchsafe: four bytes of seven bits each.
    static func id3v2Size(_ b: [UInt8]) -> Int64? {
        guard b.count >= 10, b[0] == 0x49, b[1] == 0x44, b[2] == 0x33 else { return nil }
        // Version 2.2–2.4, revision and size bytes below 0x80.
        guard (2...4).contains(b[3]), b[4] != 0xFF, b[6...9].allSatisfy({ $0 < 0x80 }) else { return nil }
        let body = Int64(b[6]) << 21 | Int64(b[7]) << 14 | Int64(b[8]) << 7 | Int64(b[9])
        let footer: Int64 = b[3] == 4 && b[5] & 0x10 != 0 ? 10 : 0
        return 10 + body + footer
    }

    /// What may follow an ID3v2 tag: MPEG audio, ADTS or FLAC.
    static func behindID3(_ bytes: [UInt8]) -> Format? {
        if ascii(bytes, 0, "fLaC") { return flacStream(bytes) }
        return mpegFrames(bytes)
    }

    static func container(_ bytes: [UInt8]) -> Format? {
        if ascii(bytes, 0, "fLaC") { return flacStream(bytes) }
        if ascii(bytes, 0, "RIFF") && ascii(bytes, 8, "WAVE") && chunkID(bytes, 12) {
            return Self.wav
        }
        if ascii(bytes, 0, "FORM") && (ascii(bytes, 8, "AIFF") || ascii(bytes, 8, "AIFC")) && chunkID(bytes, 12) {
            return Self.aiff
        }
        if ascii(bytes, 0, "OggS") && bytes.count > 5 && bytes[4] == 0 {
            return Self.ogg
        }
        if ascii(bytes, 4, "ftyp") && bytes.count >= 12 && bigEndian32(bytes, 0) >= 8 && chunkID(bytes, 8) {
            return Self.mp4
        }
        if ascii(bytes, 0, "caff") && bytes.count >= 6 && bytes[4] == 0 && bytes[5] == 1 {
            return Self.caf
        }
        return mpegFrames(bytes)
    }

    /// The file length a RIFF (WAV) or IFF (AIFF) header declares: its top chunk's size plus the
    /// 8-byte chunk header; nil for other containers and for the "unknown length" markers
    /// (0 and 0xFFFFFFFF) streaming writers use. A file shorter than this is truncated, or lies.
    public static func declaredLength(_ bytes: [UInt8]) -> Int64? {
        guard bytes.count >= 12 else { return nil }
        let size: UInt32
        if ascii(bytes, 0, "RIFF") && ascii(bytes, 8, "WAVE") {
            size = UInt32(bytes[4]) | UInt32(bytes[5]) << 8 | UInt32(bytes[6]) << 16 | UInt32(bytes[7]) << 24
        } else if ascii(bytes, 0, "FORM") && (ascii(bytes, 8, "AIFF") || ascii(bytes, 8, "AIFC")) {
            size = bigEndian32(bytes, 4)
        } else {
            return nil
        }
        guard size != 0, size != UInt32.max else { return nil }
        return Int64(size) + 8
    }

    /// `fLaC` followed by its mandatory STREAMINFO block (type 0, 34 bytes).
    static func flacStream(_ bytes: [UInt8]) -> Format? {
        guard bytes.count >= 8, bytes[4] & 0x7F == 0, bytes[5] == 0, bytes[6] == 0, bytes[7] == 34 else { return nil }
        return flac
    }

    /// An MPEG audio or ADTS frame header, and the next one a frame later when the bytes reach it.
    static func mpegFrames(_ bytes: [UInt8]) -> Format? {
        guard let first = MPEGFrameHeader(bytes, at: 0) else { return nil }
        let next = first.length
        if bytes.count >= next + 4 {
            guard let second = MPEGFrameHeader(bytes, at: next), second.sameStream(as: first) else { return nil }
        }
        return first.isADTS ? adts : mp3
    }

    static func ascii(_ bytes: [UInt8], _ offset: Int, _ text: String) -> Bool {
        let expected = Array(text.utf8)
        guard bytes.count >= offset + expected.count else { return false }
        return Array(bytes[offset..<(offset + expected.count)]) == expected
    }

    /// Four printable ASCII characters (a RIFF/IFF chunk id, an MP4 brand), or the end of the bytes.
    static func chunkID(_ bytes: [UInt8], _ offset: Int) -> Bool {
        guard bytes.count >= offset + 4 else { return bytes.count <= offset }
        return bytes[offset..<(offset + 4)].allSatisfy { (0x20...0x7E).contains($0) }
    }

    static func bigEndian32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | UInt32($1) }
    }
}
