import Foundation

/// `PUT /api/v1/marketplace/seller/account`: the seller's Stripe Connect account.
public struct SellerAccountRequest: Codable, Sendable, Equatable {
    /// `acct_…`.
    public var stripeAccountID: String

    enum CodingKeys: String, CodingKey {
        case stripeAccountID = "stripe_account_id"
    }

    public init(stripeAccountID: String) {
        self.stripeAccountID = stripeAccountID
    }
}

/// The answer to `PUT /api/v1/marketplace/seller/account`: `{"account":{"stripe_account_id"}}`.
public struct SellerAccountEnvelope: Codable, Sendable, Equatable {
    public var account: SellerAccountRequest

    public init(account: SellerAccountRequest) {
        self.account = account
    }
}

/// `GET /api/v1/marketplace/seller/balance`: `{"balance":{"amount_cents","currency"}}`.
public struct SellerBalanceResponse: Codable, Sendable, Equatable {
    public struct Balance: Codable, Sendable, Equatable {
        public var amountCents: Int64
        /// Upper-case ISO 4217.
        public var currency: String

        enum CodingKeys: String, CodingKey {
            case amountCents = "amount_cents"
            case currency
        }

        public init(amountCents: Int64, currency: String) {
            self.amountCents = amountCents
            self.currency = currency
        }
    }

    public var balance: Balance

    public init(balance: Balance) {
        self.balance = balance
    }
}

/// One seller transfer as the API shows it.
public struct SellerTransferResource: Codable, Sendable, Equatable {
    public var id: String
    public var orderID: String
    public var amountCents: Int64
    public var currency: String
    /// `pending`, `completed`, `failed`, `reversal_pending`, `reversed` or `permanently_failed`.
    public var status: String
    /// `tr_…` once paid out.
    public var stripeTransferID: String?
    /// `trr_…` once reversed.
    public var stripeReversalID: String?

    enum CodingKeys: String, CodingKey {
        case id, currency, status
        case orderID = "order_id"
        case amountCents = "amount_cents"
        case stripeTransferID = "stripe_transfer_id"
        case stripeReversalID = "stripe_reversal_id"
    }

    public init(
        id: String,
        orderID: String,
        amountCents: Int64,
        currency: String,
        status: String,
        stripeTransferID: String?,
        stripeReversalID: String?
    ) {
        self.id = id
        self.orderID = orderID
        self.amountCents = amountCents
        self.currency = currency
        self.status = status
        self.stripeTransferID = stripeTransferID
        self.stripeReversalID = stripeReversalID
    }

    /// Always writes both ids, `null` when absent (the schema lists them as required).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.id, forKey: .id)
        try container.encode(self.orderID, forKey: .orderID)
        try container.encode(self.amountCents, forKey: .amountCents)
        try container.encode(self.currency, forKey: .currency)
        try container.encode(self.status, forKey: .status)
        try container.encode(self.stripeTransferID, forKey: .stripeTransferID)
        try container.encode(self.stripeReversalID, forKey: .stripeReversalID)
    }
}

/// `GET /api/v1/marketplace/seller/transfers`: the newest first.
public struct SellerTransfersResponse: Codable, Sendable, Equatable {
    public var transfers: [SellerTransferResource]

    public init(transfers: [SellerTransferResource]) {
        self.transfers = transfers
    }
}

/// `POST /api/v1/admin/transfers/{id}/retry`: the transfer after the attempt.
public struct SellerTransferEnvelope: Codable, Sendable, Equatable {
    public var transfer: SellerTransferResource

    public init(transfer: SellerTransferResource) {
        self.transfer = transfer
    }
}
