import Foundation

/// What the marketplace needs from a payout provider (Stripe Connect): the composition root adapts
/// the Payments client to it, so that Marketplace never imports Payments.
public protocol SellerTransferProvider: Sendable {
    /// Pays `request.amountCents` to the seller's connected account.
    ///
    /// - Returns: The provider's transfer id (`tr_…`).
    /// - Throws: ``SellerTransferProviderError``.
    func createTransfer(_ request: SellerTransferRequest) async throws -> String

    /// Reverses the whole transfer `providerTransferID`.
    ///
    /// - Parameters:
    ///   - providerTransferID: `tr_…`.
    ///   - idempotencyKey: ``SellerTransfer/reversalIdempotencyKey``, so a repeat never reverses twice.
    /// - Returns: The provider's reversal id (`trr_…`).
    /// - Throws: ``SellerTransferProviderError``: ``SellerTransferProviderError/alreadyReversed``,
    ///   ``SellerTransferProviderError/resourceMissing`` as the provider reports them.
    func reverseTransfer(providerTransferID: String, idempotencyKey: String) async throws -> String
}

/// One payout, as the provider is asked for it.
public struct SellerTransferRequest: Sendable, Equatable {
    /// The transfer row: its lowercase form is the `Idempotency-Key` and `metadata[transfer_id]`.
    public var transferID: UUID
    /// Sent as `metadata[order_id]` and `transfer_group`.
    public var orderID: UUID
    /// The seller's connected account, `acct_…`.
    public var destination: String
    /// Minor units.
    public var amountCents: Int64
    /// ISO 4217 (any case; Stripe is sent lowercase).
    public var currency: String

    public init(transferID: UUID, orderID: UUID, destination: String, amountCents: Int64, currency: String) {
        self.transferID = transferID
        self.orderID = orderID
        self.destination = destination
        self.amountCents = amountCents
        self.currency = currency
    }

    /// The `Idempotency-Key`: the transfer row id, lowercase.
    public var idempotencyKey: String { self.transferID.lowercased }
}

/// A payout provider's failure, classified for the workers.
public struct SellerTransferProviderError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Kind: String, Sendable {
        case resourceMissing = "resource_missing"
        case alreadyReversed = "already_reversed"
        case transient
        case permanent
    }

    private let kind: Kind
    /// The provider's message (never a secret).
    public let message: String

    private init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// Compared by kind only.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.kind == rhs.kind }

    /// No such transfer at the provider: retrying cannot help.
    public static func resourceMissing(_ message: String) -> Self { Self(.resourceMissing, message) }
    /// Nothing is left to reverse: the reversal already happened.
    public static func alreadyReversed(_ message: String) -> Self { Self(.alreadyReversed, message) }
    /// 5xx, 429, a concurrent use of the key, or no answer: try again later with the same key.
    public static func transient(_ message: String) -> Self { Self(.transient, message) }
    /// Any other refusal (4xx): the request itself was refused.
    public static func permanent(_ message: String) -> Self { Self(.permanent, message) }

    public static let resourceMissing = Self.resourceMissing("")
    public static let alreadyReversed = Self.alreadyReversed("")
    public static let transient = Self.transient("")
    public static let permanent = Self.permanent("")

    /// `resource_missing`, `already_reversed`, `transient` or `permanent`.
    public var code: String { self.kind.rawValue }
    public var description: String { "\(self.kind.rawValue): \(self.message)" }
}

extension SellerTransfer {
    /// The `Idempotency-Key` of the payout: the row id, lowercase.
    public var transferIdempotencyKey: String { self.id.lowercased }

    /// The `Idempotency-Key` of the reversal: the row id with a `:reversal` suffix. Stripe's keys
    /// are one namespace per account, compared with the path and parameters, so the payout's key
    /// reused on `/reversals` within 24 hours would be refused with `idempotency_error`.
    public var reversalIdempotencyKey: String { self.id.lowercased + ":reversal" }
}
