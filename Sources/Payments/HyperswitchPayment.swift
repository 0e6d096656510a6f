/// What ``HyperswitchClient/createPayment(_:idempotencyKey:)`` asks Hyperswitch for: a payment
/// created with `confirm: false`, which the customer's client then confirms with the client secret.
public struct HyperswitchPaymentRequest: Sendable, Equatable {
    /// Our id for the payment, sent as `payment_id`: a second create with it answers `HE_01`.
    public var paymentID: String
    /// In minor units (cents).
    public var amountMinor: Int64
    /// ISO 4217, uppercase (`USD`).
    public var currency: String
    public var customerID: String
    /// Echoed back in responses and webhooks; how a webhook finds its way home.
    public var metadata: [String: String]

    /// Creates a request.
    ///
    /// - Parameters:
    ///   - paymentID: Our id, sent as `payment_id` (Hyperswitch allows up to 64 characters).
    ///   - amountMinor: The amount in minor units.
    ///   - currency: ISO 4217 code; sent uppercase.
    ///   - customerID: The paying user, sent as `customer_id`.
    ///   - metadata: String pairs stored with the payment.
    public init(
        paymentID: String,
        amountMinor: Int64,
        currency: String,
        customerID: String,
        metadata: [String: String] = [:]
    ) {
        self.paymentID = paymentID
        self.amountMinor = amountMinor
        self.currency = currency
        self.customerID = customerID
        self.metadata = metadata
    }
}

extension HyperswitchPaymentRequest: Encodable {
    private enum CodingKeys: String, CodingKey {
        case paymentID = "payment_id"
        case amount, currency, confirm, metadata
        case customerID = "customer_id"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.paymentID, forKey: .paymentID)
        try container.encode(self.amountMinor, forKey: .amount)
        try container.encode(self.currency.uppercased(), forKey: .currency)
        // The customer confirms with the client secret; we never confirm on their behalf.
        try container.encode(false, forKey: .confirm)
        try container.encode(self.customerID, forKey: .customerID)
        try container.encode(self.metadata, forKey: .metadata)
    }
}

/// A payment as Hyperswitch describes it (the fields of `PaymentsResponse` we use).
public struct HyperswitchPayment: Sendable, Equatable, Decodable {
    /// `payment_id`: ours when we chose it.
    public var id: String
    public var status: HyperswitchPaymentStatus
    /// `amount`, in minor units.
    public var amountMinor: Int64
    public var currency: String
    /// `{payment_id}_secret_{random}`: what the customer's client confirms with. Hyperswitch lets
    /// it expire after 15 minutes. Never log it.
    public var clientSecret: String?
    /// String values of `metadata` (other JSON values are left out).
    public var metadata: [String: String]

    /// Creates a payment description (for fakes of the provider protocols in other modules' tests).
    public init(
        id: String,
        status: HyperswitchPaymentStatus,
        amountMinor: Int64,
        currency: String,
        clientSecret: String?,
        metadata: [String: String]
    ) {
        self.id = id
        self.status = status
        self.amountMinor = amountMinor
        self.currency = currency
        self.clientSecret = clientSecret
        self.metadata = metadata
    }

    private enum CodingKeys: String, CodingKey {
        case id = "payment_id"
        case status, amount, currency, metadata
        case clientSecret = "client_secret"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try container.decode(String.self, forKey: .id)
        self.status = try container.decode(HyperswitchPaymentStatus.self, forKey: .status)
        self.amountMinor = try container.decode(Int64.self, forKey: .amount)
        self.currency = try container.decode(String.self, forKey: .currency)
        self.clientSecret = try container.decodeIfPresent(String.self, forKey: .clientSecret)
        self.metadata = try container.decodeIfPresent(StringMetadata.self, forKey: .metadata)?.values ?? [:]
    }
}

/// A JSON object read as string pairs: strings as they are, numbers and booleans as text, other
/// values (objects, arrays, null) left out. Providers echo metadata back and may type it.
struct StringMetadata: Decodable, Sendable {
    var values: [String: String]

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        var values: [String: String] = [:]
        for key in container.allKeys {
            if let text = try? container.decode(String.self, forKey: key) {
                values[key.stringValue] = text
            } else if let number = try? container.decode(Int64.self, forKey: key) {
                values[key.stringValue] = String(number)
            } else if let number = try? container.decode(Double.self, forKey: key) {
                values[key.stringValue] = String(number)
            } else if let flag = try? container.decode(Bool.self, forKey: key) {
                values[key.stringValue] = String(flag)
            }
        }
        self.values = values
    }
}
