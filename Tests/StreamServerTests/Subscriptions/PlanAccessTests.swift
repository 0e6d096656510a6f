import Database
import Foundation
import HTTPTypes
import HummingbirdTesting
import SQLKit
import Storage
import TestSupport
import Testing

@testable import StreamServer

/// The access table: which callers get `hifi`, `sell` and `distribution`, through every route
/// that asks.
@Suite("Plan access")
struct PlanAccessTests {
    typealias M = MoneyTestApp

    static let master = """
        #EXTM3U
        #EXT-X-VERSION:7
        #EXT-X-INDEPENDENT-SEGMENTS
        #EXT-X-STREAM-INF:BANDWIDTH=70000,AVERAGE-BANDWIDTH=66000,CODECS="mp4a.40.2"
        aac_64k/index.m3u8
        #EXT-X-STREAM-INF:BANDWIDTH=135000,AVERAGE-BANDWIDTH=130000,CODECS="mp4a.40.2"
        aac_128k/index.m3u8
        #EXT-X-STREAM-INF:BANDWIDTH=265000,AVERAGE-BANDWIDTH=260000,CODECS="mp4a.40.2"
        aac_256k/index.m3u8

        """

    /// A ready public track with a three-rung HLS tree.
    static func hlsTrack(_ components: AppServices) async throws -> (track: UUID, owner: UUID) {
        let owner = UUID()
        let track = try await storeTrack(components, bytes: Array(repeating: 1, count: 64), owner: owner)
        let prefix = try #require(track.hlsPrefix)
        _ = try await components.store.put(key: prefix + "master.m3u8", body: .bytes(Array(Self.master.utf8)))
        for rung in ["aac_64k", "aac_128k", "aac_256k"] {
            let media =
                "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:6.0,\nseg_00001.m4s\n#EXT-X-ENDLIST\n"
            _ = try await components.store.put(key: prefix + rung + "/index.m3u8", body: .bytes(Array(media.utf8)))
            _ = try await components.store.put(key: prefix + rung + "/seg_00001.m4s", body: .bytes([0, 1, 2, 3]))
        }
        return (track.id, owner)
    }

    struct Access: Equatable, CustomStringConvertible {
        var masterListsHiFi: Bool
        var hifiPlaylist: Int
        var hifiSegment: Int
        var standardPlaylist: Int
        var features: Set<String>
        var distribution: Bool
        var description: String {
            "master 256k: \(self.masterListsHiFi), playlist \(self.hifiPlaylist), segment \(self.hifiSegment), "
                + "128k \(self.standardPlaylist), features \(self.features.sorted()), distribution \(self.distribution)"
        }
    }

    static func access(_ client: any TestClientProtocol, _ caller: M.Caller?, track: UUID) async throws -> Access {
        let base = "/api/v1/tracks/\(track.uuidString.lowercased())/hls/"
        let master = try await M.call(client, .get, base + "master.m3u8", as: caller)
        #expect(master.status == .ok)
        let text = String(buffer: master.body)
        #expect(text.contains("aac_128k/index.m3u8"))
        let playlist = try await M.call(client, .get, base + "aac_256k/index.m3u8", as: caller)
        let segment = try await M.call(client, .get, base + "aac_256k/seg_00001.m4s", as: caller)
        if playlist.status == .forbidden { #expect(playlist.errorCode == "plan_required") }
        if segment.status == .forbidden { #expect(segment.errorCode == "plan_required") }
        let standard = try await M.call(client, .get, base + "aac_128k/index.m3u8", as: caller)
        var features: Set<String> = []
        var distribution = false
        if let caller {
            features = Set(try await M.mine(client, caller).json["features"] as? [String] ?? ["?"])
            distribution =
                try await M.call(client, .get, "/api/v1/distribution/eligibility", as: caller).json["eligible"]
                as? Bool ?? true
        }
        return Access(
            masterListsHiFi: text.contains("aac_256k"),
            hifiPlaylist: Int(playlist.status.code),
            hifiSegment: Int(segment.status.code),
            standardPlaylist: Int(standard.status.code),
            features: features,
            distribution: distribution
        )
    }

    @Test(
        "no route grants hifi, sell or distribution to pending_payment, expired, canceled or free users",
        arguments: DatabaseEngine.allCases,
        StoreBackend.allCases
    )
    func table(engine: DatabaseEngine, store: StoreBackend) async throws {
        try await M.with(engine, store: store) { components, client, fake in
            let fake = try #require(fake)
            let (track, ownerID) = try await Self.hlsTrack(components)

            let pending = try await M.Caller.make()
            _ = try await M.subscribe(client, pending, plan: "premium", cycle: "yearly")
            _ = try await M.call(client, .post, "/api/v1/subscriptions/cancel", as: pending)  // uses up the trial
            #expect(
                try await M.subscribe(client, pending, plan: "premium").subscription?["status"] as? String
                    == "pending_payment"
            )

            let expired = try await M.Caller.make()
            let expiredPayment = try #require(
                try await M.subscribe(client, expired, plan: "creator").payment?["payment_id"] as? String
            )
            try await M.settle(expiredPayment, "failed", fake: fake, client: client)

            let canceled = try await M.Caller.make()
            _ = try await M.subscribe(client, canceled, plan: "creator")
            #expect(try await M.call(client, .post, "/api/v1/subscriptions/cancel", as: canceled).status == .ok)

            let free = try await M.Caller.make()
            #expect(try await M.subscribe(client, free, plan: "free").status == .created)
            let nobody = try await M.Caller.make()

            let creator = try await M.Caller.make()
            let creatorPayment = try #require(
                try await M.subscribe(client, creator, plan: "creator").payment?["payment_id"] as? String
            )
            try await M.settle(creatorPayment, "succeeded", fake: fake, client: client)

            let premium = try await M.Caller.make()
            _ = try await M.subscribe(client, premium, plan: "premium")
            _ = try await M.call(client, .post, "/api/v1/subscriptions/cancel", as: premium)
            let premiumPayment = try #require(
                try await M.subscribe(client, premium, plan: "premium").payment?["payment_id"] as? String
            )
            try await M.settle(premiumPayment, "succeeded", fake: fake, client: client)

            let trialing = try await M.Caller.make()
            #expect(
                try await M.subscribe(client, trialing, plan: "premium").subscription?["status"] as? String
                    == "trialing"
            )

            let owner = M.Caller(
                identity: .init(userID: ownerID, role: .user),
                token: try await TestApp.token(for: .init(userID: ownerID, role: .user))
            )
            let admin = try await M.Caller.make(role: .admin)

            let none = Access(
                masterListsHiFi: false,
                hifiPlaylist: 403,
                hifiSegment: 403,
                standardPlaylist: 200,
                features: [],
                distribution: false
            )
            var all = Access(
                masterListsHiFi: true,
                hifiPlaylist: 200,
                hifiSegment: 200,
                standardPlaylist: 200,
                features: ["sell", "distribution", "hifi"],
                distribution: true
            )
            var creatorAccess = none
            creatorAccess.features = ["sell", "distribution"]
            creatorAccess.distribution = true
            // On S3 a permitted segment is a redirect to a presigned URL.
            let permittedSegment = store == .s3 ? 302 : 200
            all.hifiSegment = permittedSegment
            var staff = all
            staff.features = []
            staff.distribution = false

            let expectations: [(String, M.Caller?, Access)] = [
                ("anonymous", nil, none), ("no subscription", nobody, none), ("free", free, none),
                ("pending_payment", pending, none), ("expired", expired, none), ("canceled", canceled, none),
                ("creator", creator, creatorAccess), ("premium", premium, all), ("trialing premium", trialing, all),
                ("owner", owner, staff), ("admin", admin, staff),
            ]
            for (name, caller, expected) in expectations {
                let actual = try await Self.access(client, caller, track: track)
                #expect(actual == expected, "\(name): \(actual)")
            }
        }
    }

    @Test("the master playlist without hi-fi keeps every other line") func filtering() {
        let filtered = TracksController.removingHiFiVariants(from: Self.master)
        #expect(!filtered.contains("aac_256k"))
        #expect(!filtered.contains("BANDWIDTH=265000"))
        #expect(filtered.contains("aac_64k/index.m3u8") && filtered.contains("aac_128k/index.m3u8"))
        #expect(filtered.split(separator: "\n").count == Self.master.split(separator: "\n").count - 2)
        #expect(TrackAccessPolicy.isHiFi(rendition: "aac_256k") && TrackAccessPolicy.isHiFi(rendition: "aac_320k"))
        #expect(!TrackAccessPolicy.isHiFi(rendition: "aac_128k") && !TrackAccessPolicy.isHiFi(rendition: "aac_k"))
    }
}
