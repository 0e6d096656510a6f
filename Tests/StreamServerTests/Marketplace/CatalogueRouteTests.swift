import Foundation
import HTTPTypes
import TestSupport
import Testing

@testable import StreamServer

/// `/api/v1/marketplace/products`: who may list, what is refused, replacing and unlisting.
@Suite("Marketplace catalogue routes")
struct CatalogueRouteTests {
    typealias A = MarketTestApp
    typealias M = MoneyTestApp

    @Test("only the owner with sell lists a ready track; bad offers change nothing", arguments: DatabaseEngine.allCases)
    func listing(engine: DatabaseEngine) async throws {
        try await A.with(engine) { world in
            let seller = try await A.seller(world)
            let track = try await A.track(world, owner: seller.id)

            // No sell feature: 403 plan_required (a free user owning a track).
            let free = try await M.Caller.make()
            let freeTrack = try await A.track(world, owner: free.id)
            let noPlan = try await A.list(world, free, track: freeTrack)
            #expect(noPlan.status == .forbidden)
            #expect(noPlan.errorCode == "plan_required")

            // Someone else's track: 403; a processing track: 409; a missing one: 404.
            let other = try await A.seller(world)
            #expect(try await A.list(world, other, track: track).status == .forbidden)
            let processing = try await A.track(world, owner: seller.id, status: .processing)
            let notReady = try await A.list(world, seller, track: processing)
            #expect(notReady.status == .conflict)
            #expect(notReady.errorCode == "track_not_ready")
            #expect(try await A.list(world, seller, track: UUID()).status == .notFound)

            // Bad offers: 400 and no product.
            for bad in [
                [("basic", Int64(0), "usd")], [("basic", -5, "usd")], [("basic", 100, "xx")], [("basic", 100, "ZZZ")],
                [("basic", 100, "usd"), ("basic", 200, "usd")], [],
            ] {
                let answer = try await A.list(world, seller, track: track, bad)
                #expect(answer.status == .badRequest, "\(bad)")
                #expect(answer.errorCode == "invalid_input", "\(bad)")
            }
            let badKind = try await M.call(
                world.client,
                .post,
                "/api/v1/marketplace/products",
                as: seller,
                json:
                    #"{"track_id":"\#(track.uuidString.lowercased())","licences":[{"kind":"gold","price_cents":1,"currency":"USD"}]}"#
            )
            #expect(badKind.status == .badRequest)
            #expect(try await A.count(world, "marketplace_products") == 0)

            let created = try await A.list(world, seller, track: track)
            #expect(created.status == .created)
            let product = try #require(created.json["product"] as? [String: Any])
            #expect(product["status"] as? String == "listed")
            #expect(product["seller_id"] as? String == seller.id.uuidString.lowercased())
            #expect(product["track_id"] as? String == track.uuidString.lowercased())
            let licences = try #require(product["licences"] as? [[String: Any]])
            #expect(Set(licences.compactMap { $0["kind"] as? String }) == ["basic", "exclusive"])
            #expect(licences.allSatisfy { $0["currency"] as? String == "USD" })

            let again = try await A.list(world, seller, track: track)
            #expect(again.status == .conflict)
            #expect(again.errorCode == "already_listed")

            let id = try #require(product["id"] as? String)
            let read = try await M.call(world.client, .get, "/api/v1/marketplace/products/\(id)")
            #expect(read.status == .ok)
            let byTrack = try await M.call(
                world.client,
                .get,
                "/api/v1/marketplace/products?track_id=\(track.uuidString.lowercased())"
            )
            #expect((byTrack.json["products"] as? [[String: Any]])?.count == 1)
            #expect(
                try await M.call(world.client, .get, "/api/v1/marketplace/products?track_id=x").status == .badRequest
            )
            #expect(try await M.call(world.client, .get, "/api/v1/marketplace/products/\(UUID())").status == .notFound)
        }
    }

    @Test("PUT licences replaces the set at once; DELETE unlists and stops sales", arguments: DatabaseEngine.allCases)
    func replaceAndUnlist(engine: DatabaseEngine) async throws {
        try await A.with(engine) { world in
            let seller = try await A.seller(world)
            let track = try await A.track(world, owner: seller.id)
            let created = try await A.list(world, seller, track: track)
            let id = try #require((created.json["product"] as? [String: Any])?["id"] as? String)
            let oldBasic = try A.licence(created, "basic")
            let path = "/api/v1/marketplace/products/\(id)/licences"

            // A bad set changes nothing; a stranger may not replace.
            let bad = try await M.call(
                world.client,
                .put,
                path,
                as: seller,
                json: #"{"licences":\#(A.licencesJSON([("basic", 100, "usd"), ("premium", 0, "usd")]))}"#
            )
            #expect(bad.status == .badRequest)
            let stranger = try await A.seller(world)
            let body = #"{"licences":\#(A.licencesJSON([("premium", 2500, "eur")]))}"#
            #expect(try await M.call(world.client, .put, path, as: stranger, json: body).status == .forbidden)
            let unchanged = try await M.call(world.client, .get, "/api/v1/marketplace/products/\(id)")
            #expect(try A.licence(unchanged, "basic") == oldBasic)

            let replaced = try await M.call(world.client, .put, path, as: seller, json: body)
            #expect(replaced.status == .ok)
            let licences = try #require((replaced.json["product"] as? [String: Any])?["licences"] as? [[String: Any]])
            #expect(licences.count == 1)
            #expect(licences.first?["kind"] as? String == "premium")
            #expect(licences.first?["currency"] as? String == "EUR")
            // The replaced licence is not on sale any more.
            let buyer = try await M.Caller.make()
            let stale = try await A.buy(world, buyer, licence: oldBasic)
            #expect(stale.status == .conflict)
            #expect(stale.errorCode == "product_unlisted")

            #expect(
                try await M.call(world.client, .delete, "/api/v1/marketplace/products/\(id)", as: stranger).status
                    == .forbidden
            )
            #expect(
                try await M.call(world.client, .delete, "/api/v1/marketplace/products/\(id)", as: seller).status
                    == .noContent
            )
            #expect(
                try await M.call(world.client, .delete, "/api/v1/marketplace/products/\(id)", as: seller).status
                    == .noContent
            )
            let unlisted = try await M.call(world.client, .get, "/api/v1/marketplace/products/\(id)")
            #expect((unlisted.json["product"] as? [String: Any])?["status"] as? String == "unlisted")
            let closed = try await A.buy(world, buyer, licence: try A.licence(replaced, "premium"))
            #expect(closed.status == .conflict)
            #expect(closed.errorCode == "product_unlisted")
            let noPut = try await M.call(world.client, .put, path, as: seller, json: body)
            #expect(noPut.status == .conflict)
            // Unlisted, the track may be listed again.
            #expect(try await A.list(world, seller, track: track).status == .created)
        }
    }
}
