import AsyncHTTPClient
import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SignedURL
import Storage
import TestSupport
import Testing

@testable import StreamServer

/// A licence for one user, as the marketplace will grant through ``TrackEntitlements``.
struct OneLicence: TrackEntitlements {
    let userID: UUID
    func mayDownload(track: Track, userID: UUID) async -> Bool { userID == self.userID }
}

/// `/stream` protects the original: owner, admins and licence holders get the uploaded file;
/// everyone else gets `stream.m4a`, with the same ranges, validators and redirects.
@Suite("Stream: the original or stream.m4a")
struct StreamOriginalTests {
    static let original: [UInt8] = (0..<200).map { UInt8($0) }
    static let stream: [UInt8] = (0..<120).map { UInt8(255 - $0) }

    @Test("the access table, GET and HEAD, ranges and validators", arguments: StoreBackends.all)
    func accessTable(backends: StoreBackends) async throws {
        try await TestApp.with(backends.database, store: backends.store) { components, _ in
            let owner = Identity(userID: UUID(), role: .user)
            let licensee = Identity(userID: UUID(), role: .user)
            let track = try await storeTrack(
                components,
                bytes: Self.original,
                owner: owner.userID,
                stream: .some(Self.stream)
            )
            let secret = try await storeTrack(
                components,
                bytes: Self.original,
                visibility: .private,
                owner: owner.userID,
                stream: .some(Self.stream)
            )
            let router = Router(context: AppRequestContext.self)
            router.add(middleware: JSONErrorMiddleware())
            router.add(middleware: BearerAuthMiddleware(tokens: components.tokens))
            router.addRoutes(
                TracksController(
                    tracks: components.tracks,
                    store: components.store,
                    policy: TrackAccessPolicy(entitlements: OneLicence(userID: licensee.userID)),
                    shareTokens: ShareToken(secret: components.urlSecret),
                    streamURLTTL: .seconds(900),
                    downloadURLTTL: .seconds(1800),
                    allowedOrigin: "*"
                ).endpoints,
                atPath: "api/v1/tracks"
            )
            let share = ShareToken(secret: components.urlSecret).mint(
                subject: secret.id.uuidString.lowercased(),
                expires: Date().addingTimeInterval(600)
            )
            // (who, bearer, track, share, gets the original)
            let rows: [(String, Identity?, Track, String?, Bool)] = [
                ("anonymous", nil, track, nil, false),
                ("stranger", Identity(userID: UUID(), role: .user), track, nil, false),
                ("share-link holder", nil, secret, share, false),
                ("licence holder", licensee, track, nil, true),
                ("owner", owner, track, nil, true),
                ("admin", Identity(userID: UUID(), role: .admin), track, nil, true),
            ]
            try await Application(router: router).test(.router) { client in
                for (who, identity, row, token, original) in rows {
                    var headers: HTTPFields = [:]
                    if let identity { headers[.authorization] = "Bearer \(try await TestApp.token(for: identity))" }
                    let uri =
                        "/api/v1/tracks/\(row.id.uuidString.lowercased())/stream" + (token.map { "?share=\($0)" } ?? "")
                    let expected = original ? Self.original : Self.stream
                    let key = original ? row.storageKey : try #require(row.streamKey)
                    for method in [HTTPRequest.Method.get, .head] {
                        try await self.check(
                            client,
                            uri: uri,
                            method: method,
                            headers: headers,
                            who: who,
                            backends: backends,
                            expected: expected,
                            key: key,
                            original: original,
                            track: row
                        )
                    }
                }
            }
        }
    }

    func check(
        _ client: any TestClientProtocol,
        uri: String,
        method: HTTPRequest.Method,
        headers: HTTPFields,
        who: String,
        backends: StoreBackends,
        expected: [UInt8],
        key: String,
        original: Bool,
        track: Track
    ) async throws {
        let label = "\(who) \(method)"
        if backends.store == .s3 {
            var location = ""
            try await client.execute(uri: uri, method: method, headers: headers) { response in
                #expect(response.status == .found, "\(label)")
                #expect(response.headers[.vary]?.contains("Authorization") == true, "\(label)")
                location = response.headers[.location] ?? ""
            }
            #expect(location.contains("/" + key + "?"), "\(label): \(location)")
            var request = HTTPClientRequest(url: location)
            if method == .head {
                request.method = .HEAD
                let answer = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                #expect(answer.status == .ok, "\(label)")
                #expect(answer.headers.first(name: "Content-Length") == String(expected.count), "\(label)")
                return
            }
            request.headers.add(name: "Range", value: "bytes=10-19")
            let answer = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            #expect(answer.status == .partialContent, "\(label)")
            #expect(answer.headers.first(name: "Content-Range") == "bytes 10-19/\(expected.count)", "\(label)")
            #expect(
                Array(try await answer.body.collect(upTo: 1000).readableBytesView) == Array(expected[10...19]),
                "\(label)"
            )
            return
        }
        var etag = ""
        try await client.execute(uri: uri, method: method, headers: headers) { response in
            #expect(response.status == .ok, "\(label)")
            #expect(response.headers[.contentLength] == String(expected.count), "\(label)")
            #expect(response.headers[.contentType] == (original ? "audio/wav" : "audio/mp4"), "\(label)")
            #expect(response.headers[.vary]?.contains("Authorization") == true, "\(label)")
            #expect(Array(response.body.readableBytesView) == (method == .head ? [] : expected), "\(label)")
            etag = response.headers[.eTag] ?? ""
            // The original is never for a shared cache.
            if original { #expect(response.headers[.cacheControl] == "private, no-cache", "\(label)") }
        }
        #expect((etag == "\"\(track.sha256)\"") == original, "\(label): \(etag)")
        var ranged = headers
        ranged[.range] = "bytes=-10"
        try await client.execute(uri: uri, method: method, headers: ranged) { response in
            #expect(response.status == .partialContent, "\(label)")
            #expect(
                response.headers[.contentRange]
                    == "bytes \(expected.count - 10)-\(expected.count - 1)/\(expected.count)",
                "\(label)"
            )
            if method == .get {
                #expect(Array(response.body.readableBytesView) == Array(expected.suffix(10)), "\(label)")
            }
        }
        var conditional = headers
        conditional[.ifNoneMatch] = etag
        try await client.execute(uri: uri, method: method, headers: conditional) { response in
            #expect(response.status == .notModified, "\(label)")
        }
    }

    @Test(
        "a track without stream.m4a: listeners get a clear 409, the owner the original",
        arguments: DatabaseEngine.allCases
    )
    func noStream(engine: DatabaseEngine) async throws {
        try await TestApp.with(engine) { components, client in
            let owner = Identity(userID: UUID(), role: .user)
            let track = try await storeTrack(components, bytes: Self.original, owner: owner.userID, stream: .none)
            let uri = "/api/v1/tracks/\(track.id.uuidString.lowercased())/stream"
            try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status == .conflict)
                #expect(response.body.apiError?.code == "stream_unavailable")
            }
            let bearer = "Bearer \(try await TestApp.token(for: owner))"
            try await client.execute(uri: uri, method: .get, headers: [.authorization: bearer]) { response in
                #expect(response.status == .ok)
                #expect(Array(response.body.readableBytesView) == Self.original)
            }
        }
    }
}
