import Foundation

/// The payment providers `veza` talks to (`HYPERSWITCH_*`, `STRIPE_*`); either may be absent.
///
/// Descriptions hide the keys, so that printing or logging a configuration never leaks them.
public struct PaymentSettings: Sendable, Equatable {
    /// Payments and refunds; `nil` when `HYPERSWITCH_URL`, `HYPERSWITCH_API_KEY` and
    /// `HYPERSWITCH_WEBHOOK_SECRET` are all unset (paid plans then answer 503).
    public var hyperswitch: HyperswitchSettings?
    /// Seller payouts; `nil` when `STRIPE_SECRET_KEY` is unset.
    public var stripe: StripeSettings?

    public init(hyperswitch: HyperswitchSettings? = nil, stripe: StripeSettings? = nil) {
        self.hyperswitch = hyperswitch
        self.stripe = stripe
    }

    /// Reads the settings; a partial Hyperswitch set is an error naming what is missing.
    init(_ env: Environment) throws {
        let names = ["HYPERSWITCH_URL", "HYPERSWITCH_API_KEY", "HYPERSWITCH_WEBHOOK_SECRET"]
        let present = names.filter { env[$0] != nil }
        if !present.isEmpty {
            if let missing = names.first(where: { env[$0] == nil }) {
                let given = present.joined(separator: " and ") + (present.count == 1 ? " is set" : " are set")
                throw ConfigurationError.missing(missing, because: "when \(given)")
            }
            self.hyperswitch = HyperswitchSettings(
                baseURL: try Self.url("HYPERSWITCH_URL", env["HYPERSWITCH_URL"]!),
                apiKey: env["HYPERSWITCH_API_KEY"]!,
                webhookSecret: env["HYPERSWITCH_WEBHOOK_SECRET"]!
            )
        }
        if let key = env["STRIPE_SECRET_KEY"] {
            let url = try Self.url("STRIPE_URL", env["STRIPE_URL"] ?? StripeSettings.defaultURL)
            self.stripe = StripeSettings(baseURL: url, secretKey: key)
        } else if env["STRIPE_URL"] != nil {
            throw ConfigurationError.missing("STRIPE_SECRET_KEY", because: "when STRIPE_URL is set")
        }
    }

    static func url(_ name: String, _ raw: String) throws -> URL {
        guard let url = URL(string: raw), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            url.host != nil, url.query == nil
        else {
            throw ConfigurationError.invalid(
                name,
                raw,
                expected: "an http(s) URL such as https://sandbox.hyperswitch.io"
            )
        }
        return url
    }
}

/// Hyperswitch's API root and keys.
public struct HyperswitchSettings: Sendable, Equatable, CustomStringConvertible {
    /// `HYPERSWITCH_URL`, e.g. `https://sandbox.hyperswitch.io`.
    public var baseURL: URL
    /// `HYPERSWITCH_API_KEY`: the secret key, sent as the `api-key` header.
    public var apiKey: String
    /// `HYPERSWITCH_WEBHOOK_SECRET`: the business profile's `payment_response_hash_key`.
    public var webhookSecret: String

    public init(baseURL: URL, apiKey: String, webhookSecret: String) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.webhookSecret = webhookSecret
    }

    public var description: String { "Hyperswitch at \(self.baseURL.absoluteString) (keys hidden)" }
}

/// Stripe's API root and key.
public struct StripeSettings: Sendable, Equatable, CustomStringConvertible {
    static let defaultURL = "https://api.stripe.com"

    /// `STRIPE_URL` (default `https://api.stripe.com`).
    public var baseURL: URL
    /// `STRIPE_SECRET_KEY` (`sk_…`), sent as a Bearer token.
    public var secretKey: String

    public init(baseURL: URL, secretKey: String) {
        self.baseURL = baseURL
        self.secretKey = secretKey
    }

    public var description: String { "Stripe at \(self.baseURL.absoluteString) (key hidden)" }
}
