import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

@testable import StreamServer

@Suite("Admin re-transcode")
struct AdminTranscodeTests {
    @Test("admins queue a re-transcode of a ready track; others cannot", arguments: DatabaseEngine.allCases)
    func retranscode(engine: DatabaseEngine) async throws {
        try await TestApp.with(engine) { components, client in
            let track = try await storeTrack(components, bytes: [1, 2, 3])
            let uri = "/api/v1/tracks/\(track.id.uuidString.lowercased())/transcode"
            let admin = try await TestApp.token(for: Identity(userID: UUID(), role: .admin))
            let owner = try await TestApp.token(for: Identity(userID: track.ownerID, role: .user))
            try await client.execute(uri: uri, method: .post) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: uri, method: .post, headers: [.authorization: "Bearer \(owner)"]) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: uri, method: .post, headers: [.authorization: "Bearer \(admin)"]) {
                response in
                #expect(response.status == .accepted)
                // A ready track stays ready (and playing its tree) while the new one is made.
                #expect(response.body.jsonObject?["status"] as? String == "ready")
            }
            #expect(try await components.tracks.find(id: track.id)?.status == .ready)
            #expect(try await components.jobs.counts(queue: "transcode")[.queued] == 1)
            // A failed track goes back to processing; asked again while processing: refused, no second job.
            let failed = try await storeTrack(components, bytes: [1, 2, 3], status: .failed)
            let failedURI = "/api/v1/tracks/\(failed.id.uuidString.lowercased())/transcode"
            try await client.execute(uri: failedURI, method: .post, headers: [.authorization: "Bearer \(admin)"]) {
                response in
                #expect(response.status == .accepted)
                #expect(response.body.jsonObject?["status"] as? String == "processing")
            }
            #expect(try await components.tracks.find(id: failed.id)?.status == .processing)
            try await client.execute(uri: failedURI, method: .post, headers: [.authorization: "Bearer \(admin)"]) {
                response in
                #expect(response.status == .conflict)
            }
            #expect(try await components.jobs.counts(queue: "transcode")[.queued] == 2)
            try await client.execute(
                uri: "/api/v1/tracks/\(UUID().uuidString.lowercased())/transcode",
                method: .post,
                headers: [.authorization: "Bearer \(admin)"]
            ) {
                #expect($0.status == .notFound)
            }
        }
    }
}
