/// A Stripe Connect transfer (`"object": "transfer"`, the fields we use).
public struct StripeTransfer: Sendable, Equatable, Decodable {
    /// `tr_…`.
    public var id: String
    /// In minor units.
    public var amountMinor: Int64
    /// How much has been reversed so far, in minor units.
    public var amountReversedMinor: Int64
    /// Lowercase ISO 4217, as Stripe sends it.
    public var currency: String
    /// The connected account (`acct_…`).
    public var destination: String?
    public var transferGroup: String?
    /// Whether the whole amount has been reversed.
    public var reversed: Bool
    public var metadata: [String: String]

    private enum CodingKeys: String, CodingKey {
        case id, amount, currency, destination, reversed, metadata
        case amountReversed = "amount_reversed"
        case transferGroup = "transfer_group"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try container.decode(String.self, forKey: .id)
        self.amountMinor = try container.decode(Int64.self, forKey: .amount)
        self.amountReversedMinor = try container.decodeIfPresent(Int64.self, forKey: .amountReversed) ?? 0
        self.currency = try container.decode(String.self, forKey: .currency)
        // A string id, or the expanded account object (then its id is not needed here).
        self.destination = try? container.decodeIfPresent(String.self, forKey: .destination)
        self.transferGroup = try container.decodeIfPresent(String.self, forKey: .transferGroup)
        self.reversed = try container.decodeIfPresent(Bool.self, forKey: .reversed) ?? false
        self.metadata = try container.decodeIfPresent(StringMetadata.self, forKey: .metadata)?.values ?? [:]
    }
}

/// A reversal of a transfer (`"object": "transfer_reversal"`).
public struct StripeTransferReversal: Sendable, Equatable, Decodable {
    /// `trr_…`.
    public var id: String
    /// The reversed transfer (`tr_…`).
    public var transferID: String
    /// In minor units.
    public var amountMinor: Int64
    public var currency: String
    public var metadata: [String: String]

    private enum CodingKeys: String, CodingKey {
        case id, amount, currency, metadata
        case transferID = "transfer"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try container.decode(String.self, forKey: .id)
        self.transferID = try container.decode(String.self, forKey: .transferID)
        self.amountMinor = try container.decode(Int64.self, forKey: .amount)
        self.currency = try container.decode(String.self, forKey: .currency)
        self.metadata = try container.decodeIfPresent(StringMetadata.self, forKey: .metadata)?.values ?? [:]
    }
}
