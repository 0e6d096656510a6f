import Catalog
import Foundation
import Storage
import TestSupport
import Testing

@testable import Ingest

/// `complete` sniffs the upload as one file: an ID3v2 tag larger than a chunk is skipped across
/// chunk files, and what is behind it decides.
@Suite("Sniffing at complete")
struct SniffTests {
    /// An ID3v2.4 tag of `body` bytes (cover art, say), then `rest`.
    static func tagged(body: Int, _ rest: [UInt8]) -> [UInt8] {
        let size = [
            UInt8((body >> 21) & 0x7F), UInt8((body >> 14) & 0x7F), UInt8((body >> 7) & 0x7F), UInt8(body & 0x7F),
        ]
        return Array("ID3".utf8) + [4, 0, 0] + size + randomBytes(body, seed: 3) + rest
    }

    /// MPEG-1 Layer III frames, 128 kb/s at 44.1 kHz (417 bytes each, no padding).
    static func mp3Frames(_ count: Int) -> [UInt8] {
        (0..<count).flatMap { _ in [0xFF, 0xFB, 0x90, 0x00] + [UInt8](repeating: 0, count: 413) }
    }

    @Test("a tag spanning chunks, then MP3 frames: accepted as audio/mpeg", arguments: UploadServiceTests.combinations)
    func tagAcrossChunks(engine: DatabaseEngine, kind: StoreKind) async throws {
        try await IngestHarness.with(engine, kind) { harness in
            let owner = UUID()
            // Longer than two chunks (16 KiB locally; on S3 the tag spans the first 2 MiB chunk).
            let tagSize = Int(IngestHarness.chunkSize(kind)) * 2 + 1_234
            let data = Self.tagged(body: tagSize, Self.mp3Frames(40))
            let session = try await harness.create(owner: owner, data, filename: "cover.mp3")
            #expect(session.totalChunks >= 3)
            try await harness.sendAll(session, data)
            let completion = try await harness.service.complete(uploadID: session.id, ownerID: owner)
            #expect(completion.track.contentType == "audio/mpeg")
        }
    }

    @Test("a tag spanning chunks, then a playlist: 415, nothing stored", arguments: UploadServiceTests.combinations)
    func playlistBehindTag(engine: DatabaseEngine, kind: StoreKind) async throws {
        try await IngestHarness.with(engine, kind) { harness in
            let owner = UUID()
            let tagSize = Int(IngestHarness.chunkSize(kind)) + 99
            let data = Self.tagged(body: tagSize, Array("#EXTM3U\n#EXTINF:10,\nhttp://127.0.0.1:1/a.mp3\n".utf8))
            let session = try await harness.create(owner: owner, data, filename: "evil.mp3")
            try await harness.sendAll(session, data)
            let error = await ingestError {
                _ = try await harness.service.complete(uploadID: session.id, ownerID: owner)
            }
            #expect(error?.code == IngestError.unsupportedMediaType.code)
            #expect(try await harness.leftovers(owner: owner).objects.isEmpty)
        }
    }
}
