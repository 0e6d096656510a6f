import AsyncHTTPClient
import Catalog
import Database
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SignedURL
import Storage
import TestSupport
import Testing
import Transcode

@testable import StreamServer

@Suite("Track routes: access, ranges, redirects")
struct TrackRoutesTests {
    static let bytes: [UInt8] = (0..<100).map { UInt8($0) }

    @Test(
        "ranges on the local backend, GET and HEAD (the owner: the original)",
        arguments: [HTTPRequest.Method.get, .head]
    )
    func ranges(method: HTTPRequest.Method) async throws {
        try await TestApp.with(.sqlite) { components, client in
            let owner = Identity(userID: UUID(), role: .user)
            let track = try await storeTrack(
                components,
                bytes: Self.bytes,
                owner: owner.userID,
                stream: .some([1, 2, 3])
            )
            let uri = "/api/v1/tracks/\(track.id.uuidString.lowercased())/stream"
            let bearer = "Bearer \(try await TestApp.token(for: owner))"
            // (Range, status, Content-Range, body bytes)
            let cases: [(String?, HTTPResponse.Status, String?, ArraySlice<UInt8>)] = [
                (nil, .ok, nil, Self.bytes[...]),
                ("bytes=0-9", .partialContent, "bytes 0-9/100", Self.bytes[0...9]),
                ("bytes=90-", .partialContent, "bytes 90-99/100", Self.bytes[90...99]),
                ("bytes=-10", .partialContent, "bytes 90-99/100", Self.bytes[90...99]),
                ("bytes=95-200", .partialContent, "bytes 95-99/100", Self.bytes[95...99]),
                ("bytes=0-18446744073709551615", .partialContent, "bytes 0-99/100", Self.bytes[...]),
                ("bytes=100-", .rangeNotSatisfiable, "bytes */100", []),
                ("bytes=5-2", .ok, nil, Self.bytes[...]),
                ("items=0-5", .ok, nil, Self.bytes[...]),
                ("bytes=abc", .ok, nil, Self.bytes[...]),
                ("bytes=0-10,5-20", .ok, nil, Self.bytes[...]),
            ]
            for (range, status, contentRange, body) in cases {
                var headers: HTTPFields = [.authorization: bearer]
                if let range { headers[.range] = range }
                try await client.execute(uri: uri, method: method, headers: headers) { response in
                    #expect(response.status == status, "\(range ?? "none")")
                    #expect(response.headers[.contentRange] == contentRange, "\(range ?? "none")")
                    #expect(response.headers[.acceptRanges] == "bytes")
                    if status != .rangeNotSatisfiable {
                        #expect(response.headers[.contentLength] == String(body.count), "\(range ?? "none")")
                        #expect(
                            Array(response.body.readableBytesView) == (method == .head ? [] : Array(body)),
                            "\(range ?? "none")"
                        )
                    }
                }
            }
            // Two ranges: multipart/byteranges, parsed back part by part.
            try await client.execute(
                uri: uri,
                method: method,
                headers: [.authorization: bearer, .range: "bytes=0-1,5-6"]
            ) { response in
                #expect(response.status == .partialContent)
                let type = try #require(response.headers[.contentType])
                #expect(type.hasPrefix("multipart/byteranges; boundary="))
                guard method == .get else { return }
                #expect(response.headers[.contentLength] == String(response.body.readableBytes))
                let text = String(decoding: response.body.readableBytesView, as: UTF8.self)
                #expect(text.contains("Content-Range: bytes 0-1/100"))
                #expect(text.contains("Content-Range: bytes 5-6/100"))
            }
            // Validators: If-None-Match → 304; a weak If-Range never matches → full 200.
            let etag = "\"\(track.sha256)\""
            try await client.execute(uri: uri, method: method, headers: [.authorization: bearer, .ifNoneMatch: etag]) {
                response in
                #expect(response.status == .notModified)
            }
            try await client.execute(
                uri: uri,
                method: method,
                headers: [.authorization: bearer, .range: "bytes=0-9", .ifRange: "W/\(etag)"]
            ) {
                #expect($0.status == .ok)
            }
            try await client.execute(
                uri: uri,
                method: method,
                headers: [.authorization: bearer, .range: "bytes=0-9", .ifRange: etag]
            ) {
                #expect($0.status == .partialContent)
            }
        }
    }

    @Test("downloads: owner only without a licence, with an RFC 6266 filename")
    func downloads() async throws {
        try await TestApp.with(.sqlite) { components, client in
            let owner = Identity(userID: UUID(), role: .user)
            let track = try await storeTrack(components, bytes: Self.bytes, owner: owner.userID)
            let uri = "/api/v1/tracks/\(track.id.uuidString.lowercased())/download"
            let ownerToken = try await TestApp.token(for: owner)
            try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(ownerToken)"]) {
                response in
                #expect(response.status == .ok)
                let disposition = try #require(response.headers[.contentDisposition])
                #expect(disposition.hasPrefix("attachment; filename=\""))
                #expect(disposition.contains("filename*=UTF-8''"))
            }
            let stranger = try await TestApp.token(for: Identity(userID: UUID(), role: .user))
            try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(stranger)"]) {
                response in
                #expect(response.status == .forbidden)
                #expect(response.body.apiError?.message.contains("licence") == true)
            }
        }
    }

    @Test("private tracks never leak: every route answers 404 like an unknown id", arguments: DatabaseEngine.allCases)
    func privateTracks(engine: DatabaseEngine) async throws {
        try await TestApp.with(engine) { components, client in
            let owner = Identity(userID: UUID(), role: .user)
            let track = try await storeTrack(
                components,
                bytes: Self.bytes,
                visibility: .private,
                owner: owner.userID,
                stream: .none
            )
            let id = track.id.uuidString.lowercased()
            let share = ShareToken(secret: components.urlSecret)
            let validShare = share.mint(subject: id, expires: Date().addingTimeInterval(600))
            let expiredShare = share.mint(subject: id, expires: Date().addingTimeInterval(-10))
            let otherShare = share.mint(
                subject: UUID().uuidString.lowercased(),
                expires: Date().addingTimeInterval(600)
            )
            let ownerToken = try await TestApp.token(for: owner)
            let adminToken = try await TestApp.token(for: Identity(userID: UUID(), role: .admin))
            let otherToken = try await TestApp.token(for: Identity(userID: UUID(), role: .user))
            let paths = [
                "", "/stream", "/hls/master.m3u8", "/hls/aac_64k/index.m3u8", "/hls/aac_64k/seg_00001.m4s",
                "/waveform.json",
            ]
            // (bearer, share, may see)
            let callers: [(String?, String?, Bool)] = [
                (nil, nil, false), (otherToken, nil, false), (nil, expiredShare, false), (nil, otherShare, false),
                (ownerToken, nil, true), (adminToken, nil, true), (nil, validShare, true),
            ]
            for path in paths {
                for (bearer, token, maySee) in callers {
                    var headers: HTTPFields = [:]
                    if let bearer { headers[.authorization] = "Bearer \(bearer)" }
                    let query = token.map { "?share=\($0)" } ?? ""
                    try await client.execute(uri: "/api/v1/tracks/\(id)\(path)\(query)", method: .get, headers: headers)
                    { response in
                        if maySee {
                            // Seen: metadata and stream work; HLS is 409 (never transcoded) — not 404.
                            #expect(response.status != .notFound, "\(path) \(bearer != nil) \(token != nil)")
                        } else {
                            #expect(response.status == .notFound, "\(path) \(bearer != nil) \(token != nil)")
                            #expect(response.body.apiError?.message == "no such track")
                        }
                    }
                }
            }
            // The same 404 as a track that does not exist.
            try await client.execute(uri: "/api/v1/tracks/\(UUID().uuidString.lowercased())/stream", method: .get) {
                response in
                #expect(response.status == .notFound)
                #expect(response.body.apiError?.message == "no such track")
            }
        }
    }

    @Test("S3: 302 to a presigned URL that answers ranges and HEAD; private tracks are not redirected")
    func s3Redirects() async throws {
        try await TestApp.with(.sqlite, store: .s3) { components, client in
            let bytes: [UInt8] = (0..<1000).map { UInt8($0 % 251) }
            let track = try await storeTrack(components, bytes: bytes)
            let uri = "/api/v1/tracks/\(track.id.uuidString.lowercased())/stream"
            var location = ""
            try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status == .found)
                #expect(response.headers[.cacheControl] == "private, no-store")
                location = response.headers[.location] ?? ""
            }
            var ranged = HTTPClientRequest(url: location)
            ranged.headers.add(name: "Range", value: "bytes=100-199")
            let partial = try await HTTPClient.shared.execute(ranged, timeout: .seconds(10))
            #expect(partial.status == .partialContent)
            #expect(Array(try await partial.body.collect(upTo: 10_000).readableBytesView) == Array(bytes[100...199]))
            try await client.execute(uri: uri, method: .head) { response in
                #expect(response.status == .found)
                var head = HTTPClientRequest(url: response.headers[.location] ?? "")
                head.method = .HEAD
                let answer = try await HTTPClient.shared.execute(head, timeout: .seconds(10))
                #expect(answer.status == .ok)
                #expect(answer.headers.first(name: "Content-Length") == "1000")
            }
            // Downloads: the presigned URL carries the attachment disposition, for the owner only.
            let owner = try await TestApp.token(for: Identity(userID: track.ownerID, role: .user))
            try await client.execute(
                uri: "/api/v1/tracks/\(track.id.uuidString.lowercased())/download",
                method: .get,
                headers: [.authorization: "Bearer \(owner)"]
            ) { response in
                #expect(response.status == .found)
                let location = response.headers[.location] ?? ""
                #expect(location.contains("response-content-disposition=attachment"))
                #expect(location.contains("X-Amz-Expires=1800"))
                let download = try await HTTPClient.shared.execute(
                    HTTPClientRequest(url: location),
                    timeout: .seconds(10)
                )
                #expect(download.status == .ok)
                #expect(download.headers.first(name: "Content-Disposition")?.hasPrefix("attachment;") == true)
            }
            let hidden = try await storeTrack(components, bytes: bytes, visibility: .private)
            try await client.execute(uri: "/api/v1/tracks/\(hidden.id.uuidString.lowercased())/stream", method: .get) {
                response in
                #expect(response.status == .notFound)
                #expect(response.headers[.location] == nil)
            }
        }
    }
}

@Suite("Access policy")
struct TrackAccessPolicyTests {
    @Test func table() async {
        let owner = UUID()
        // The marketplace's licences plug in as download entitlements: one live licence holder.
        let licensee = Identity(userID: UUID(), role: .user)
        let policy = TrackAccessPolicy(entitlements: OneLicence(userID: licensee.userID))
        func track(_ visibility: TrackVisibility, _ status: TrackStatus = .ready) -> Track {
            Track(
                ownerID: owner,
                title: "t",
                visibility: visibility,
                status: status,
                storageBackend: .local,
                storageKey: "k",
                sizeBytes: 1,
                sha256: "",
                contentType: "audio/wav"
            )
        }
        let ownerID = Identity(userID: owner, role: .user)
        let other = Identity(userID: UUID(), role: .user)
        let admin = Identity(userID: UUID(), role: .admin)
        let valid = ShareTokenCheck.valid(subject: "x", expires: Date())
        typealias D = TrackAccessPolicy.Decision
        let rows: [(Track, Identity?, ShareTokenCheck?, TrackAccessPolicy.Purpose, D)] = [
            (track(.public), nil, nil, .listen, .allow),
            (track(.unlisted), nil, nil, .listen, .allow),
            (track(.private), nil, nil, .listen, .hide),
            (track(.private), other, nil, .listen, .hide),
            (track(.private), nil, .expired, .listen, .hide),
            (track(.private), nil, .invalid, .listen, .hide),
            (track(.private), nil, valid, .listen, .allow),
            (track(.private), ownerID, nil, .listen, .allow),
            (track(.private), admin, nil, .listen, .allow),
            (track(.public, .processing), other, nil, .listen, .hide),
            (track(.public, .processing), ownerID, nil, .listen, .allow),
            (track(.public), other, nil, .download, .forbid("downloading this track needs a licence")),
            (track(.public), nil, nil, .download, .forbid("downloading this track needs a licence")),
            (track(.private), other, nil, .download, .hide),
            (track(.public), ownerID, nil, .download, .allow),
            (track(.public), admin, nil, .download, .allow),
            (track(.public), licensee, nil, .download, .allow),
            (track(.unlisted), licensee, nil, .download, .allow),
            (track(.public), licensee, nil, .listen, .allow),
            (track(.private), licensee, nil, .download, .hide),
            (track(.public, .processing), licensee, nil, .download, .hide),
        ]
        for (index, row) in rows.enumerated() {
            #expect(
                await policy.decide(track: row.0, identity: row.1, shareToken: row.2, purpose: row.3) == row.4,
                "row \(index)"
            )
        }
    }
}

@Suite("Track routes under fuzzed headers")
struct TrackRoutesFuzzTests {
    /// SplitMix64: a small, seeded generator so failures replay.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            self.state &+= 0x9E37_79B9_7F4A_7C15
            var z = self.state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("random Range and If-Range headers through the HTTP stack: 200, 206 or 416, headers consistent")
    func fuzz() async throws {
        try await TestApp.with(.sqlite) { components, client in
            let bytes: [UInt8] = (0..<100).map { UInt8($0) }
            let track = try await storeTrack(components, bytes: bytes)
            let uri = "/api/v1/tracks/\(track.id.uuidString.lowercased())/stream"
            var random = Generator(state: 0x5EED)
            let pieces = [
                "bytes=", "0", "1", "9", "99", "100", "-", ",", " ", "18446744073709551616", "items=", "=", "a", "-0",
            ]
            let validators = [
                "\"\(track.sha256)\"", "W/\"\(track.sha256)\"", "\"other\"", "Sun, 06 Nov 1994 08:49:37 GMT", "garbage",
                "",
            ]
            for _ in 0..<3000 {
                var range = ""
                for _ in 0..<Int.random(in: 1...8, using: &random) { range += pieces.randomElement(using: &random)! }
                var headers: HTTPFields = [.range: range]
                if Bool.random(using: &random) { headers[.ifRange] = validators.randomElement(using: &random)! }
                let method: HTTPRequest.Method = Bool.random(using: &random) ? .get : .head
                try await client.execute(uri: uri, method: method, headers: headers) { response in
                    switch response.status {
                    case .ok:
                        #expect(response.headers[.contentRange] == nil, "\(range)")
                        #expect(response.headers[.contentLength] == "100", "\(range)")
                    case .partialContent:
                        let length = Int(response.headers[.contentLength] ?? "") ?? -1
                        if let contentRange = response.headers[.contentRange] {
                            let numbers = contentRange.dropFirst("bytes ".count).split(whereSeparator: {
                                $0 == "-" || $0 == "/"
                            }).compactMap { Int($0) }
                            #expect(
                                numbers.count == 3 && numbers[2] == 100 && numbers[0] <= numbers[1] && numbers[1] < 100,
                                "\(range)"
                            )
                            if numbers.count == 3 { #expect(length == numbers[1] - numbers[0] + 1, "\(range)") }
                        } else {
                            #expect(
                                response.headers[.contentType]?.hasPrefix("multipart/byteranges") == true,
                                "\(range)"
                            )
                        }
                        if method == .get { #expect(response.body.readableBytes == length, "\(range)") }
                    case .rangeNotSatisfiable:
                        #expect(response.headers[.contentRange] == "bytes */100", "\(range)")
                    default:
                        Issue.record("unexpected \(response.status) for '\(range)'")
                    }
                }
            }
        }
    }
}
