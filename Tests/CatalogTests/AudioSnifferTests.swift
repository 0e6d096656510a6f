import Catalog
import Foundation
import Testing

/// The sniffer on real headers, on the fixtures, and on hostile files that only look like audio.
@Suite("Audio sniffer")
struct AudioSnifferTests {
    static func bytes(_ text: String, pad: Int = 12) -> [UInt8] { Array(text.utf8) + [UInt8](repeating: 0, count: pad) }

    /// An ID3v2.4 tag of `body` bytes (synchsafe size), then `rest`.
    static func id3(body: Int, then rest: [UInt8]) -> [UInt8] {
        let size = [
            UInt8((body >> 21) & 0x7F), UInt8((body >> 14) & 0x7F), UInt8((body >> 7) & 0x7F), UInt8(body & 0x7F),
        ]
        return Array("ID3".utf8) + [4, 0, 0] + size + [UInt8](repeating: 0, count: body) + rest
    }

    /// Two MPEG-1 Layer III frames, 128 kb/s at 44.1 kHz (417 bytes each).
    static let mp3Frames: [UInt8] = {
        let frame = [0xFF, 0xFB, 0x90, 0x00] + [UInt8](repeating: 0x55, count: 413)
        return frame + frame
    }()

    @Test func containers() {
        #expect(AudioSniffer.sniff([0xFF, 0xFB, 0x90, 0x00])?.contentType == "audio/mpeg")
        #expect(AudioSniffer.sniff(Self.mp3Frames)?.demuxer == "mp3")
        #expect(AudioSniffer.sniff([0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F, 0xFC])?.contentType == "audio/aac")
        #expect(
            AudioSniffer.sniff([UInt8]("fLaC".utf8) + [0x80, 0, 0, 34] + [UInt8](repeating: 0, count: 34))?.demuxer
                == "flac"
        )
        #expect(AudioSniffer.sniff(Self.bytes("RIFF\u{0}\u{0}\u{0}\u{0}WAVEfmt "))?.contentType == "audio/wav")
        #expect(AudioSniffer.sniff(Self.bytes("RIFF\u{0}\u{0}\u{0}\u{0}AVI ")) == nil)
        #expect(AudioSniffer.sniff(Self.bytes("OggS"))?.contentType == "audio/ogg")
        #expect(AudioSniffer.sniff(Self.bytes("\u{0}\u{0}\u{0}\u{20}ftypM4A "))?.demuxer == "mov")
        #expect(AudioSniffer.sniff(Self.bytes("%PDF-1.7")) == nil)
        #expect(AudioSniffer.sniff([]) == nil)
    }

    @Test func lookPastID3() {
        // The tag's synchsafe size is honoured, whatever the tag holds.
        #expect(AudioSniffer.sniff(Self.id3(body: 300, then: Self.mp3Frames))?.demuxer == "mp3")
        #expect(AudioSniffer.sniff(Self.id3(body: 200_000, then: Self.mp3Frames))?.demuxer == "mp3")
        let flac = [UInt8]("fLaC".utf8) + [0x80, 0, 0, 34] + [UInt8](repeating: 0, count: 34)
        #expect(AudioSniffer.sniff(Self.id3(body: 10, then: flac))?.demuxer == "flac")
        // A tag alone, or in front of anything but a frame, is not audio.
        #expect(AudioSniffer.sniff(Self.bytes("ID3")) == nil)
        #expect(AudioSniffer.sniff(Self.id3(body: 0, then: [])) == nil)
        for text in ["#EXTM3U\n#EXTINF:10,\nhttp://127.0.0.1:1/x.mp3\n", "ffconcat version 1.0\nfile a.mp3\n", "hello"]
        {
            #expect(AudioSniffer.sniff(Self.id3(body: 0, then: Array(text.utf8))) == nil, "\(text)")
            #expect(AudioSniffer.sniff(Array(text.utf8)) == nil, "\(text)")
        }
        // A WAV or MP4 behind an ID3 tag is not something any demuxer we run expects.
        #expect(AudioSniffer.sniff(Self.id3(body: 0, then: Self.bytes("RIFF\u{0}\u{0}\u{0}\u{0}WAVEfmt "))) == nil)
        // A synchsafe byte with its high bit set is not an ID3v2 size.
        #expect(AudioSniffer.sniff([UInt8]("ID3".utf8) + [4, 0, 0, 0x80, 0, 0, 0] + Self.mp3Frames) == nil)
    }

    @Test func aSyncWordIsNotAFrame() {
        // A valid first header but garbage where the next frame should start.
        var random = SystemRandomNumberGenerator()
        var refused = 0
        for _ in 0..<50 {
            let noise = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) }
            if AudioSniffer.sniff([0xFF, 0xFB, 0x90, 0x00] + noise) == nil { refused += 1 }
        }
        // The chance that random bytes carry a matching header 417 bytes on is about 1 in 20 000.
        #expect(refused >= 49)
        // Reserved version, reserved layer, bad bit rate or sample rate: not a header at all.
        for header: [UInt8] in [
            [0xFF, 0xEB, 0x90, 0], [0xFF, 0xF9, 0x90, 0], [0xFF, 0xFB, 0xF0, 0], [0xFF, 0xFB, 0x9C, 0],
        ] {
            #expect(AudioSniffer.sniff(header) == nil, "\(header)")
        }
    }

    @Test(
        "every audio fixture is recognised",
        arguments: [
            "music.flac", "music.m4a", "music.mp3", "music-cover.mp3", "music-mono.mp3", "music.ogg", "music.wav",
            "music-48k.m4a", "tone-440-stereo.flac", "tone-440-stereo.m4a", "tone-440-stereo.mp3",
            "tone-440-stereo.ogg",
            "tone-440-stereo.wav",
        ]
    )
    func fixtures(name: String) async throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fixtures/audio/\(name)")
        let data = try [UInt8](Data(contentsOf: url))
        let format = try #require(
            await AudioSniffer.sniff { offset, length in
                guard offset < Int64(data.count) else { return [] }
                return Array(data[Int(offset)..<min(data.count, Int(offset) + length)])
            }
        )
        #expect(format.fileExtension == (name as NSString).pathExtension || format.demuxer == "mov")
    }
}
