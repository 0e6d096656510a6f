import Foundation
import Payments
import TestSupport
import Testing

@testable import StreamServer

@Suite("HYPERSWITCH_* and STRIPE_* settings")
struct PaymentSettingsTests {
    static let base = ["JWT_SECRET": String(repeating: "k", count: 40)]
    static let hyperswitch = [
        "HYPERSWITCH_URL": "https://sandbox.hyperswitch.io",
        "HYPERSWITCH_API_KEY": "snd_secret_api_key",
        "HYPERSWITCH_WEBHOOK_SECRET": "hash_key_secret",
    ]

    static func configuration(_ extra: [String: String]) throws -> AppConfiguration {
        try AppConfiguration(environment: Self.base.merging(extra) { $1 })
    }

    @Test func unsetMeansNoProvider() throws {
        let payments = try Self.configuration([:]).payments
        #expect(payments.hyperswitch == nil)
        #expect(payments.stripe == nil)
        // Empty values count as unset.
        let empty = try Self.configuration(Self.hyperswitch.mapValues { _ in "" }).payments
        #expect(empty.hyperswitch == nil)
    }

    @Test func hyperswitchNeedsAllThree() throws {
        let settings = try #require(try Self.configuration(Self.hyperswitch).payments.hyperswitch)
        #expect(settings.baseURL.absoluteString == "https://sandbox.hyperswitch.io")
        #expect(settings.apiKey == "snd_secret_api_key")
        #expect(settings.webhookSecret == "hash_key_secret")
        // Printing the settings never shows the keys.
        let printed = "\(settings) \(try Self.configuration(Self.hyperswitch).payments)"
        #expect(!printed.contains("snd_secret_api_key"))
        #expect(!printed.contains("hash_key_secret"))
    }

    @Test(arguments: ["HYPERSWITCH_URL", "HYPERSWITCH_API_KEY", "HYPERSWITCH_WEBHOOK_SECRET"])
    func partialSetNamesTheMissingVariable(missing: String) {
        var environment = Self.hyperswitch
        environment[missing] = nil
        let error = #expect(throws: ConfigurationError.self) { try Self.configuration(environment) }
        #expect(error?.description.hasPrefix("\(missing) must be set") == true)
        #expect(error.map { !$0.description.contains("snd_secret_api_key") } == true)
    }

    @Test(arguments: ["sandbox.hyperswitch.io", "ftp://h.example", "https://", "https://h.example/?a=b"])
    func badURLIsRefused(url: String) {
        var environment = Self.hyperswitch
        environment["HYPERSWITCH_URL"] = url
        let error = #expect(throws: ConfigurationError.self) { try Self.configuration(environment) }
        #expect(error?.description.hasPrefix("HYPERSWITCH_URL") == true)
    }

    @Test func stripe() throws {
        let defaulted = try #require(try Self.configuration(["STRIPE_SECRET_KEY": "sk_test_x"]).payments.stripe)
        #expect(defaulted.baseURL.absoluteString == "https://api.stripe.com")
        #expect(defaulted.secretKey == "sk_test_x")
        #expect(!"\(defaulted)".contains("sk_test_x"))
        let local = try Self.configuration(["STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_URL": "http://127.0.0.1:9"])
        #expect(local.payments.stripe?.baseURL.absoluteString == "http://127.0.0.1:9")
        let error = #expect(throws: ConfigurationError.self) {
            try Self.configuration(["STRIPE_URL": "http://127.0.0.1:9"])
        }
        #expect(error?.description.hasPrefix("STRIPE_SECRET_KEY must be set") == true)
        #expect(throws: ConfigurationError.self) {
            try Self.configuration(["STRIPE_SECRET_KEY": "sk", "STRIPE_URL": "not a url"])
        }
    }

    @Test("the composition root builds the clients on the shared HTTP client")
    func wired() async throws {
        try await Self.withServices([:]) { services in
            #expect(services.hyperswitch == nil)
        }
        try await FakeHyperswitch.with { fake in
            let environment = [
                "HYPERSWITCH_URL": fake.url.absoluteString,
                "HYPERSWITCH_API_KEY": fake.apiKey,
                "HYPERSWITCH_WEBHOOK_SECRET": fake.webhookSecret,
            ]
            try await Self.withServices(environment) { services in
                let client = try #require(services.hyperswitch)
                let payment = try await client.createPayment(
                    HyperswitchPaymentRequest(
                        paymentID: "inv_wired",
                        amountMinor: 999,
                        currency: "USD",
                        customerID: "u"
                    ),
                    idempotencyKey: "inv_wired"
                )
                #expect(payment.id == "inv_wired")
                #expect(fake.requests("POST", "/payments").first?.header("api-key") == fake.apiKey)
            }
        }
    }

    /// Builds the process's services on a fresh data directory (SQLite, never queried here: only the
    /// clients are looked at) and releases them afterwards.
    static func withServices(
        _ environment: [String: String],
        _ body: @Sendable (AppServices) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("veza-pay-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let services = try await AppServices(
            configuration: try Self.configuration(environment.merging(["VEZA_DATA_DIR": directory]) { $1 }),
            logger: TestDatabase.logger
        )
        do {
            try await services.database.withRunning { try await body(services) }
        } catch {
            await services.shutdownWithoutRunning()
            throw error
        }
        await services.shutdownWithoutRunning()
    }
}
