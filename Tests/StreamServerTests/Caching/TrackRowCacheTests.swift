import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import TestSupport
import Testing

@testable import StreamServer

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let offset = Mutex<Duration>(.zero)
    let start = ContinuousClock.now

    var now: ContinuousClock.Instant { self.start.advanced(by: self.offset.withLock { $0 }) }
    func advance(_ duration: Duration) { self.offset.withLock { $0 += duration } }
}

@Suite("Track row cache and verified tokens")
struct TrackRowCacheTests {
    static func track(_ visibility: TrackVisibility = .public) -> Track {
        Track(
            id: UUID(),
            ownerID: UUID(),
            title: "t",
            visibility: visibility,
            status: .ready,
            storageBackend: .local,
            storageKey: "tracks/a/b.wav",
            sizeBytes: 1,
            sha256: "",
            contentType: "audio/wav"
        )
    }

    @Test("a row is used for at most its lifetime; invalidation and misses reload at once")
    func lifetime() async throws {
        let clock = ManualClock()
        let cache = TrackRowCache(lifetime: .seconds(1), capacity: 8, now: { clock.now })
        let loads = Mutex(0)
        var row = Self.track()
        let id = row.id
        func get(_ current: Track?) async throws -> Track? {
            try await cache.track(id: id) {
                loads.withLock { $0 += 1 }
                return current
            }
        }
        #expect(try await get(row)?.visibility == .public)
        row.visibility = .private  // changed elsewhere (another process)
        clock.advance(.milliseconds(999))
        #expect(try await get(row)?.visibility == .public)  // within the bound: the old row
        #expect(loads.withLock { $0 } == 1)
        clock.advance(.milliseconds(1))
        #expect(try await get(row)?.visibility == .private)  // at the bound: read again
        #expect(loads.withLock { $0 } == 2)
        // Changed through this process: seen at once.
        row.visibility = .unlisted
        cache.invalidate(id)
        #expect(try await get(row)?.visibility == .unlisted)
        // Deleted: a missing row is not kept, so it is asked again each time.
        cache.invalidate(id)
        #expect(try await get(nil) == nil)
        #expect(try await get(nil) == nil)
        #expect(loads.withLock { $0 } == 5)
    }

    @Test("never more rows than its capacity")
    func bounded() async throws {
        let clock = ManualClock()
        let cache = TrackRowCache(lifetime: .seconds(1), capacity: 4, now: { clock.now })
        for _ in 0..<100 {
            let track = Self.track()
            _ = try await cache.track(id: track.id) { track }
            #expect(cache.rows.count <= 4)
        }
        // Expired rows are dropped first.
        clock.advance(.seconds(2))
        let last = Self.track()
        _ = try await cache.track(id: last.id) { last }
        #expect(cache.rows.count == 1)
    }

    @Test("a verified token's time claims are checked on every use")
    func verifiedTokens() async throws {
        let tokens = await AccessTokens(secret: String(repeating: "k", count: 32))
        let identity = Identity(userID: UUID(), role: .user)
        let now = Date()
        let token = try await tokens.mint(identity, lifetime: .seconds(60), now: now)
        #expect(try await tokens.verify(token, now: now) == identity)
        // The cached verification still honours exp.
        #expect(try await tokens.verify(token, now: now.addingTimeInterval(30)) == identity)
        await #expect(throws: APIError.self) { try await tokens.verify(token, now: now.addingTimeInterval(61)) }
        // And iat: a token issued in the future is refused even once it was accepted.
        await #expect(throws: APIError.self) { try await tokens.verify(token, now: now.addingTimeInterval(-120)) }
        // A tampered token is never taken from the cache.
        var tampered = Array(token.utf8)
        tampered[tampered.count - 2] =
            tampered[tampered.count - 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        await #expect(throws: APIError.self) {
            try await tokens.verify(String(decoding: tampered, as: UTF8.self), now: now)
        }
        // Another secret's tokens are not this one's.
        let other = await AccessTokens(secret: String(repeating: "x", count: 32))
        await #expect(throws: APIError.self) { try await other.verify(token, now: now) }
    }

    @Test(
        "a track made private is hidden at once when changed here, within 1 s when changed elsewhere",
        arguments: DatabaseEngine.allCases,
        StoreBackend.allCases
    )
    func visibilityOverHTTP(engine: DatabaseEngine, store: StoreBackend) async throws {
        // Served: 206 from disk, or the 302 to the store.
        let served: HTTPResponse.Status = store == .s3 ? .found : .partialContent
        try await TestApp.with(engine, store: store) { components, client in
            let owner = Identity(userID: UUID(), role: .user)
            let track = try await storeTrack(components, bytes: Array(repeating: 7, count: 100), owner: owner.userID)
            let uri = "/api/v1/tracks/\(track.id.uuidString.lowercased())/stream"
            let ownerHeaders: HTTPFields = [.authorization: "Bearer \(try await TestApp.token(for: owner))"]
            func status() async throws -> HTTPResponse.Status {
                try await client.execute(uri: uri, method: .get, headers: [.range: "bytes=0-9"]) { $0.status }
            }
            #expect(try await status() == served)
            // Through PATCH (this process): the next request is refused.
            try await client.execute(
                uri: "/api/v1/tracks/\(track.id.uuidString.lowercased())",
                method: .patch,
                headers: ownerHeaders.merging([.contentType: "application/json"]),
                body: ByteBuffer(string: #"{"visibility":"private"}"#)
            ) { #expect($0.status == .ok) }
            #expect(try await status() == .notFound)
            // Public again, read into the cache, then made private behind this process's back.
            _ = try await components.tracks.updateDetails(track.id, title: nil, visibility: .public)
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await status() == served)
            _ = try await components.tracks.updateDetails(track.id, title: nil, visibility: .private)
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await status() == .notFound)
            // Deleted through DELETE: gone at once.
            _ = try await components.tracks.updateDetails(track.id, title: nil, visibility: .public)
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await status() == served)
            try await client.execute(
                uri: "/api/v1/tracks/\(track.id.uuidString.lowercased())",
                method: .delete,
                headers: ownerHeaders
            ) { #expect($0.status == .noContent) }
            #expect(try await status() == .notFound)
        }
    }
}

extension HTTPFields {
    fileprivate func merging(_ other: HTTPFields) -> HTTPFields {
        var fields = self
        for field in other { fields.append(field) }
        return fields
    }
}
