import Catalog
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing

@testable import Ingest
@testable import StreamServer

/// tus 1.0 at `/api/v1/tus/`, on both databases and both stores.
@Suite("tus 1.0", .serialized)
struct TusTests {
    static func field(_ name: String) -> HTTPField.Name { HTTPField.Name(name)! }

    func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    @Test(
        "creation-with-upload, offsets, checksums, completion and termination",
        arguments: UploadServiceTests.combinations
    )
    func protocolFlow(engine: DatabaseEngine, kind: StoreKind) async throws {
        let routes = UploadsRouteTests()
        try await routes.withClient(engine, kind) { harness, client in
            let owner = UUID()
            var headers = try await routes.bearer(owner)
            headers[.contentType] = nil
            let data = wavFile(size: IngestHarness.fileSize(kind), seed: 11)

            try await client.execute(uri: "/api/v1/tus/", method: .options) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[Self.field("Tus-Version")] == "1.0.0")
                #expect(response.headers[Self.field("Tus-Extension")]?.contains("checksum") == true)
                #expect(response.headers[Self.field("Tus-Checksum-Algorithm")] == "sha1,sha256")
            }
            try await client.execute(uri: "/api/v1/tus", method: .post, headers: headers) { response in
                #expect(response.status == .preconditionFailed)
                #expect(response.headers[Self.field("Tus-Version")] == "1.0.0")
            }
            headers[Self.field("Tus-Resumable")] = "1.0.0"
            var create = headers
            create[Self.field("Upload-Length")] = String(data.count)
            create[Self.field("Upload-Metadata")] =
                "filename \(self.base64("tus.wav")),title \(self.base64("Über tus")),empty"
            create[.contentType] = "application/offset+octet-stream"
            let first = Array(data[0..<1000])
            let created = try await client.execute(
                uri: "/api/v1/tus",
                method: .post,
                headers: create,
                body: ByteBuffer(bytes: first)
            )
            #expect(created.status == .created)
            #expect(created.headers[Self.field("Upload-Offset")] == "1000")
            #expect(created.headers[Self.field("Upload-Expires")]?.hasSuffix("GMT") == true)
            #expect(created.headers[Self.field("Tus-Resumable")] == "1.0.0")
            let location = try #require(created.headers[.location])

            try await client.execute(uri: location, method: .head, headers: headers) { response in
                #expect(response.status == .ok)
                #expect(response.headers[Self.field("Upload-Offset")] == "1000")
                #expect(response.headers[Self.field("Upload-Length")] == String(data.count))
                #expect(response.headers[.cacheControl] == "no-store")
            }
            var patch = headers
            patch[.contentType] = "application/offset+octet-stream"
            patch[Self.field("Upload-Offset")] = "999"
            try await client.execute(uri: location, method: .patch, headers: patch, body: ByteBuffer(bytes: [1])) {
                #expect($0.status == .conflict)
            }
            patch[.contentType] = "text/plain"
            patch[Self.field("Upload-Offset")] = "1000"
            try await client.execute(uri: location, method: .patch, headers: patch, body: ByteBuffer(bytes: [1])) {
                #expect($0.status == .unsupportedMediaType)
            }
            patch[.contentType] = "application/offset+octet-stream"
            // A stretch crossing chunk boundaries, with a wrong checksum: 460, nothing kept.
            let second = Array(data[1000..<(1000 + Int(IngestHarness.chunkSize(kind)) * 2)])
            patch[Self.field("Upload-Checksum")] = "sha1 \(Data(Insecure.SHA1.hash(data: first)).base64EncodedString())"
            try await client.execute(uri: location, method: .patch, headers: patch, body: ByteBuffer(bytes: second)) {
                #expect($0.status.code == 460)
            }
            try await client.execute(uri: location, method: .head, headers: headers) {
                #expect($0.headers[Self.field("Upload-Offset")] == "1000")
            }
            patch[Self.field("Upload-Checksum")] =
                "sha1 \(Data(Insecure.SHA1.hash(data: second)).base64EncodedString())"
            try await client.execute(uri: location, method: .patch, headers: patch, body: ByteBuffer(bytes: second)) {
                response in
                #expect(response.status == .noContent)
                #expect(response.headers[Self.field("Upload-Offset")] == String(1000 + second.count))
                #expect(response.headers[Self.field("Upload-Expires")]?.hasSuffix("GMT") == true)
            }
            let rest = Array(data[(1000 + second.count)...])
            patch[Self.field("Upload-Offset")] = String(1000 + second.count)
            patch[Self.field("Upload-Checksum")] = "sha256 \(Data(SHA256.hash(data: rest)).base64EncodedString())"
            let last = try await client.execute(
                uri: location,
                method: .patch,
                headers: patch,
                body: ByteBuffer(bytes: rest)
            )
            #expect(last.status == .noContent)
            #expect(last.headers[Self.field("Upload-Offset")] == String(data.count))
            let trackID = try #require(last.headers[Self.field("Veza-Track-ID")])
            let track = try #require(
                try await TrackRepositoryProbe.find(harness, id: trackID)
            )
            #expect(track.sha256 == sha256Hex(data))
            #expect(track.title == "Über tus")
            #expect(try await harness.storedDigest(track.storageKey).0 == sha256Hex(data))

            // Termination.
            var another = headers
            another[Self.field("Upload-Length")] = "5000"
            let made = try await client.execute(uri: "/api/v1/tus", method: .post, headers: another)
            let url = try #require(made.headers[.location])
            try await client.execute(uri: url, method: .delete, headers: headers) { #expect($0.status == .noContent) }
            try await client.execute(uri: url, method: .head, headers: headers) { #expect($0.status == .gone) }
            try await client.execute(uri: url, method: .head, headers: try await routes.bearer(UUID()).merging(headers))
            {
                #expect($0.status == .notFound || $0.status == .gone)
            }
        }
    }
}

enum TrackRepositoryProbe {
    static func find(_ harness: IngestHarness, id: String) async throws -> Catalog.Track? {
        guard let uuid = UUID(uuidString: id) else { return nil }
        return try await TrackRepository(database: harness.database).find(id: uuid)
    }
}

extension HTTPFields {
    /// `self`, with the fields of `other` that `self` lacks.
    func merging(_ other: HTTPFields) -> HTTPFields {
        var result = self
        for field in other where result[field.name] == nil { result.append(field) }
        return result
    }
}
