import Foundation
import Testing

@testable import StreamServer

/// ``ImmediateStreamResponder/Target`` reads exactly the stream and segment paths the router
/// serves, on bytes, and reads a canonical id as `UUID(uuidString:)` does.
@Suite("Fast path targets")
struct ImmediateTargetTests {
    static let id = "0f8fad5b-d9cb-469f-a165-70867728950e"

    /// What the path names: "stream", "segment r s", or nil.
    static func read(_ path: String) -> String? {
        guard let target = ImmediateStreamResponder.Target(path) else { return nil }
        switch target.resource {
        case .stream: return "stream \(target.trackID.uuidString.lowercased())"
        case .segment(let rendition, let segment): return "segment \(rendition) \(segment)"
        }
    }

    @Test("stream and segment paths")
    func paths() {
        #expect(Self.read("/api/v1/tracks/\(Self.id)/stream") == "stream \(Self.id)")
        #expect(Self.read("/api/v1/tracks/\(Self.id.uppercased())/stream") == "stream \(Self.id)")
        #expect(Self.read("/api/v1/tracks/\(Self.id)/hls/aac_128/seg_00001.m4s") == "segment aac_128 seg_00001.m4s")
        #expect(Self.read("/api/v1/tracks/\(Self.id)/hls/aac-256/init.mp4") == "segment aac-256 init.mp4")
    }

    @Test(
        "every other path is the router's",
        arguments: [
            "/api/v1/tracks/\(id)/stream/",
            "/api/v1/tracks/\(id)/streams",
            "/api/v1/tracks/\(id)/stream?share=x",
            "/api/v1/tracks/\(id)/download",
            "/api/v1/tracks/\(id)",
            "/api/v1/tracks/\(id)/hls/master.m3u8",
            "/api/v1/tracks/\(id)/hls/aac_128/index.m3u8",
            "/api/v1/tracks/\(id)/hls/aac_128/",
            "/api/v1/tracks/\(id)/hls//seg.m4s",
            "/api/v1/tracks/\(id)/hls/aac_128/.hidden",
            "/api/v1/tracks/\(id)/hls/aac_128/a/b.m4s",
            "/api/v1/tracks/\(id)/hls/aac%5F128/seg.m4s",
            "/api/v1/tracks/\(id)/hls/aac 128/seg.m4s",
            "/api/v1/tracks/\(id)/hls/aac_128/s\u{E9}g.m4s",
            "/api/v1/tracks/0f8fad5b-d9cb-469f-a165-70867728950/stream",
            "/api/v1/tracks/0f8fad5bd9cb-469f-a165-70867728950e1/stream",
            "/api/v1/tracks/0f8fad5b-d9cb-469f-a165-70867728950g/stream",
            "/api/v1/tracks/0f8fad5b+d9cb-469f-a165-70867728950e/stream",
            "/api/v2/tracks/\(id)/stream",
            "/api/v1/tracks//stream",
        ]
    )
    func others(path: String) {
        #expect(Self.read(path) == nil)
    }

    @Test("canonical ids read as UUID(uuidString:) reads them, and nothing else")
    func ids() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789abcdefABCDEFg-")
        for _ in 0..<2000 {
            var text = UUID().uuidString
            if Bool.random(using: &generator) {
                var characters = Array(text)
                characters[Int.random(in: 0..<36, using: &generator)] = alphabet.randomElement(using: &generator)!
                text = String(characters)
            }
            let read = Array(text.utf8).withUnsafeBufferPointer { ImmediateStreamResponder.Target.uuid($0) }
            // Stricter than Foundation, which also takes a "-F" where a hex digit belongs: such a
            // path takes the router, which answers it as before.
            let canonical = text.enumerated().allSatisfy { offset, character in
                [8, 13, 18, 23].contains(offset) ? character == "-" : character.isHexDigit
            }
            #expect(read == (canonical ? UUID(uuidString: text) : nil), "\(text)")
            if canonical { #expect(read != nil, "\(text)") }
        }
    }
}
