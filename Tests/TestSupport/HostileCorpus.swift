import Foundation

/// Files made to attack the transcoder: playlists and concat scripts behind an ID3 tag (so a
/// naive sniffer calls them MP3), which would make FFmpeg fetch a URL or read another user's
/// file; a WAV header claiming 4 GiB; a truncated FLAC; random bytes behind an MP3 sync word.
public enum HostileCorpus {
    public struct Sample: Sendable, CustomStringConvertible {
        public let name: String
        public let bytes: [UInt8]
        public var description: String { self.name }
        /// The file extension an attacker would give it.
        public var fileExtension: String { (self.name as NSString).pathExtension }
    }

    /// An empty ID3v2.4 tag: ten bytes, size 0.
    public static let emptyID3: [UInt8] = Array("ID3".utf8) + [4, 0, 0, 0, 0, 0, 0]

    /// - Parameters:
    ///   - listenerPort: A loopback port that must never be contacted.
    ///   - neighbour: The path of another file, relative to the attacker's source or absolute,
    ///     whose bytes must never reach the attacker's outputs.
    ///   - flac: A valid FLAC file, to truncate.
    public static func samples(listenerPort: Int, neighbour: String, flac: [UInt8]) -> [Sample] {
        let url = "http://127.0.0.1:\(listenerPort)"
        let hlsHTTP = """
            #EXTM3U
            #EXT-X-VERSION:3
            #EXT-X-TARGETDURATION:10
            #EXT-X-MEDIA-SEQUENCE:0
            #EXTINF:10.0,
            \(url)/segment0.mp3
            #EXTINF:10.0,
            \(url)/segment1.mp3
            #EXT-X-ENDLIST

            """
        // No ENDLIST: a live playlist FFmpeg would reload for ever.
        let hlsRelative = """
            #EXTM3U
            #EXT-X-TARGETDURATION:10
            #EXTINF:10.0,
            \(neighbour)
            #EXTINF:10.0,
            \(neighbour)

            """
        let concat = """
            ffconcat version 1.0
            file '\(neighbour)'
            file '\(url)/concat.mp3'

            """
        var random = SeededBytes(seed: 0x5EED)
        return [
            Sample(name: "id3-hls-http.mp3", bytes: emptyID3 + Array(hlsHTTP.utf8)),
            Sample(name: "id3-hls-relative.mp3", bytes: emptyID3 + Array(hlsRelative.utf8)),
            Sample(name: "id3-ffconcat.mp3", bytes: emptyID3 + Array(concat.utf8)),
            Sample(name: "bare.m3u8", bytes: Array(hlsHTTP.utf8)),
            Sample(name: "claims-4gib.wav", bytes: wavClaiming4GiB()),
            Sample(name: "truncated.flac", bytes: Array(flac.prefix(flac.count / 2))),
            Sample(name: "sync-word.mp3", bytes: [0xFF, 0xFB, 0x90, 0x00] + random.next(64 * 1024)),
        ]
    }

    /// A PCM WAV whose RIFF and data sizes say 4 GiB (6.8 hours at 44.1 kHz stereo) but that
    /// holds one second.
    static func wavClaiming4GiB() -> [UInt8] {
        var bytes = wavHeader(riffSize: 0xFFFF_FFF0, dataSize: 0xFFFF_FFC0)
        func append16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        for n in 0..<44_100 {
            let sample = Int16(8000 * sin(Double(n) * 2 * .pi * 440 / 44_100))
            append16(UInt16(bitPattern: sample))
            append16(UInt16(bitPattern: sample))
        }
        return bytes
    }

    /// Reproducible pseudo-random bytes (SplitMix64).
    struct SeededBytes {
        var state: UInt64
        init(seed: UInt64) { self.state = seed }
        mutating func next(_ count: Int) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(count)
            while out.count < count {
                self.state &+= 0x9E37_79B9_7F4A_7C15
                var z = self.state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                withUnsafeBytes(of: z) { out.append(contentsOf: $0.prefix(count - out.count)) }
            }
            return out
        }
    }
}
