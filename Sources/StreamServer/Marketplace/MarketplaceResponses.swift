import Foundation
import HTTPTypes
import Marketplace

/// `{"kind","price_cents","currency"}` in a product request.
struct LicenceOfferBody: Decodable, Sendable {
    var kind: LicenceKind
    var priceCents: Int64
    var currency: String

    enum CodingKeys: String, CodingKey {
        case kind, currency
        case priceCents = "price_cents"
    }

    var offer: LicenceOffer { LicenceOffer(kind: self.kind, priceCents: self.priceCents, currency: self.currency) }
}

/// `POST /api/v1/marketplace/products`.
struct CreateProductBody: Decodable, Sendable {
    var trackID: UUID
    var licences: [LicenceOfferBody]

    enum CodingKeys: String, CodingKey {
        case trackID = "track_id"
        case licences
    }
}

/// `PUT /api/v1/marketplace/products/{id}/licences`.
struct ReplaceLicencesBody: Decodable, Sendable {
    var licences: [LicenceOfferBody]
}

/// `POST /api/v1/marketplace/orders`.
struct CreateOrderBody: Decodable, Sendable {
    var licenceID: UUID

    enum CodingKeys: String, CodingKey { case licenceID = "licence_id" }
}

struct LicenceResource: Encodable, Sendable {
    var id: String
    var kind: String
    var priceCents: Int64
    var currency: String

    enum CodingKeys: String, CodingKey {
        case id, kind, currency
        case priceCents = "price_cents"
    }

    init(_ licence: Licence) {
        self.id = licence.id.idString
        self.kind = licence.kind.rawValue
        self.priceCents = licence.priceCents
        self.currency = licence.currency
    }
}

struct ProductResource: Encodable, Sendable {
    var id: String
    var trackID: String
    var sellerID: String
    var status: String
    var licences: [LicenceResource]

    enum CodingKeys: String, CodingKey {
        case id, status, licences
        case trackID = "track_id"
        case sellerID = "seller_id"
    }

    init(_ product: Product) {
        self.id = product.id.idString
        self.trackID = product.trackID.idString
        self.sellerID = product.sellerID.idString
        self.status = product.status.rawValue
        self.licences = product.licences.map(LicenceResource.init)
    }
}

struct ProductEnvelope: Encodable, Sendable { var product: ProductResource }
struct ProductsEnvelope: Encodable, Sendable { var products: [ProductResource] }

struct OrderResource: Encodable, Sendable {
    var id: String
    var status: String
    var amountCents: Int64
    var currency: String
    var licenceID: String
    var kind: String
    var buyerID: String
    var sellerID: String
    var createdAt: Date
    var paidAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, status, currency, kind
        case amountCents = "amount_cents"
        case licenceID = "licence_id"
        case buyerID = "buyer_id"
        case sellerID = "seller_id"
        case createdAt = "created_at"
        case paidAt = "paid_at"
    }

    init(_ order: Order) {
        self.id = order.id.idString
        self.status = order.status.rawValue
        self.amountCents = order.amountCents
        self.currency = order.currency
        self.licenceID = order.licenceID.idString
        self.kind = order.licenceKind.rawValue
        self.buyerID = order.buyerID.idString
        self.sellerID = order.sellerID.idString
        self.createdAt = order.createdAt
        self.paidAt = order.paidAt
    }
}

struct OrderPaymentResource: Encodable, Sendable {
    var paymentID: String
    var clientSecret: String?

    enum CodingKeys: String, CodingKey {
        case paymentID = "payment_id"
        case clientSecret = "client_secret"
    }
}

struct OrderEnvelope: Encodable, Sendable {
    var order: OrderResource
    var payment: OrderPaymentResource?
}

struct OrdersEnvelope: Encodable, Sendable { var orders: [OrderResource] }

struct LicenceGrantResource: Encodable, Sendable {
    var id: String
    var trackID: String
    var kind: String
    var orderID: String
    var status: String

    enum CodingKeys: String, CodingKey {
        case id, kind, status
        case trackID = "track_id"
        case orderID = "order_id"
    }

    init(_ grant: LicenceGrant) {
        self.id = grant.id.idString
        self.trackID = grant.trackID.idString
        self.kind = grant.kind.rawValue
        self.orderID = grant.orderID.idString
        self.status = grant.isLive ? "live" : "revoked"
    }
}

struct LicenceGrantsEnvelope: Encodable, Sendable { var licences: [LicenceGrantResource] }

struct RefundResource: Encodable, Sendable {
    var id: String
    var status: String
}

struct RefundEnvelope: Encodable, Sendable { var refund: RefundResource }

extension UUID {
    /// The lowercase form used in every response, key and log line.
    var idString: String { self.uuidString.lowercased() }
}

extension APIError {
    /// The HTTP answer to a refusal of the Marketplace module (every code has its status).
    init(marketplace error: MarketplaceError) {
        let status: HTTPResponse.Status
        switch error.code {
        case .invalidInput: status = .badRequest
        case .notFound: status = .notFound
        case .forbidden, .planRequired: status = .forbidden
        case .trackNotReady, .alreadyListed, .ownTrack, .productUnlisted, .exclusiveUnavailable, .refundInProgress,
            .notRefundable, .refundWindowClosed, .concurrentChange, .illegalTransition:
            status = .conflict
        case .providerUnavailable: status = .serviceUnavailable
        case .providerFailed: status = .badGateway
        }
        self.init(status, code: error.codeString, message: error.message)
    }
}
