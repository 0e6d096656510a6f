import AsyncHTTPClient
import Database
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import TestSupport
import Testing

@testable import StreamServer

/// The app with (or without) a ``FakeHyperswitch`` behind it, and helpers for the money routes.
enum MoneyTestApp {
    /// Runs `body` against the app; `provider: false` leaves Hyperswitch unconfigured.
    static func with(
        _ engine: DatabaseEngine,
        store: StoreBackend = .local,
        provider: Bool = true,
        live: Bool = false,
        environment: [String: String] = [:],
        _ body: @Sendable (AppServices, any TestClientProtocol, FakeHyperswitch?) async throws -> Void
    ) async throws {
        guard provider else {
            try await TestApp.with(engine, store: store, live: live, environment: environment) { components, client in
                try await body(components, client, nil)
            }
            return
        }
        try await FakeHyperswitch.with { fake in
            var env = environment
            env["HYPERSWITCH_URL"] = fake.url.absoluteString
            env["HYPERSWITCH_API_KEY"] = fake.apiKey
            env["HYPERSWITCH_WEBHOOK_SECRET"] = fake.webhookSecret
            try await TestApp.with(engine, store: store, live: live, environment: env) { components, client in
                try await body(components, client, fake)
            }
        }
    }

    /// A user and their bearer token.
    struct Caller: Sendable {
        let identity: Identity
        let token: String
        var id: UUID { self.identity.userID }
        var headers: HTTPFields { [.authorization: "Bearer \(self.token)", .contentType: "application/json"] }

        static func make(role: Identity.Role = .user) async throws -> Caller {
            let identity = Identity(userID: UUID(), role: role)
            return Caller(identity: identity, token: try await TestApp.token(for: identity))
        }
    }

    /// A JSON answer: status, decoded object and the `error.code` when it is an error.
    struct Answer: Sendable {
        let status: HTTPResponse.Status
        let body: ByteBuffer
        var json: [String: Any] { self.body.jsonObject ?? [:] }
        var errorCode: String? { self.body.apiError?.code }
        var subscription: [String: Any]? { self.json["subscription"] as? [String: Any] }
        var payment: [String: Any]? { self.json["payment"] as? [String: Any] }
    }

    static func call(
        _ client: any TestClientProtocol,
        _ method: HTTPRequest.Method,
        _ uri: String,
        as caller: Caller? = nil,
        json: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> Answer {
        var headers = caller?.headers ?? [.contentType: "application/json"]
        headers.append(contentsOf: extra)
        let response = try await client.execute(
            uri: uri,
            method: method,
            headers: headers,
            body: json.map { ByteBuffer(string: $0) }
        )
        return Answer(status: response.status, body: response.body)
    }

    static func subscribe(
        _ client: any TestClientProtocol,
        _ caller: Caller,
        plan: String,
        cycle: String = "monthly"
    ) async throws -> Answer {
        try await self.call(
            client,
            .post,
            "/api/v1/subscriptions/subscribe",
            as: caller,
            json: #"{"plan":"\#(plan)","billing_cycle":"\#(cycle)"}"#
        )
    }

    static func mine(_ client: any TestClientProtocol, _ caller: Caller) async throws -> Answer {
        try await self.call(client, .get, "/api/v1/me/subscription", as: caller)
    }

    /// Delivers a fake webhook through the real route, in-process.
    static func deliver(_ webhook: FakeHyperswitchWebhook, _ client: any TestClientProtocol) async throws -> Answer {
        var headers: HTTPFields = [:]
        for (name, value) in webhook.headers { headers[HTTPField.Name(name)!] = value }
        let response = try await client.execute(
            uri: "/api/v1/webhooks/hyperswitch",
            method: .post,
            headers: headers,
            body: ByteBuffer(bytes: webhook.body)
        )
        return Answer(status: response.status, body: response.body)
    }

    /// The customer pays (or the payment fails) at the provider, and Hyperswitch sends its webhook.
    @discardableResult
    static func settle(
        _ paymentID: String,
        _ status: String,
        fake: FakeHyperswitch,
        client: any TestClientProtocol
    ) async throws -> Answer {
        fake.setPaymentStatus(paymentID, status)
        let webhook = try #require(fake.webhook(forPayment: paymentID))
        return try await self.deliver(webhook, client)
    }

    /// Subscription rows of a user, read straight from the database, oldest first.
    static func statuses(_ components: AppServices, _ userID: UUID) async throws -> [String] {
        try await components.database.sql.raw(
            "SELECT status FROM subscriptions WHERE user_id = \(bind: userID) ORDER BY created_at"
        ).all().map { try $0.decode(column: "status", as: String.self) }
    }

    /// A payment made at the provider by someone else (the marketplace, another product).
    static func foreignPayment(_ fake: FakeHyperswitch) async throws -> String {
        let id = "pay_foreign_" + UUID().uuidString.prefix(8).lowercased()
        var request = HTTPClientRequest(url: fake.url.absoluteString + "/payments")
        request.method = .POST
        request.headers.add(name: "api-key", value: fake.apiKey)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Idempotency-Key", value: id)
        request.body = .bytes(
            ByteBuffer(
                string: #"{"payment_id":"\#(id)","amount":500,"currency":"USD","customer_id":"c","confirm":false}"#
            )
        )
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        #expect(response.status == .ok)
        return id
    }

    static func count(_ components: AppServices, _ table: String) async throws -> Int {
        try await components.database.sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()?
            .decode(column: "n", as: Int.self) ?? -1
    }
}
