import Database
import Foundation
import Logging

/// The marketplace's use cases: listing tracks, buying licences, asking for refunds. Webhooks and
/// the reconciler go through ``MarketplaceEventProcessor``.
public struct MarketplaceService: Sendable {
    let database: DatabaseClient
    public let products: ProductRepository
    public let orders: OrderRepository
    public let grants: LicenceGrantRepository
    public let refunds: RefundRepository
    let provider: (any MarketplacePaymentProvider)?
    let sellers: any SellerGate
    /// `REFUND_WINDOW`: how long after the payment a refund may be asked for.
    let refundWindow: Duration
    let processor: MarketplaceEventProcessor
    let logger: Logger

    public init(
        database: DatabaseClient,
        provider: (any MarketplacePaymentProvider)?,
        sellers: any SellerGate,
        processor: MarketplaceEventProcessor,
        refundWindow: Duration = .seconds(14 * 86400),
        logger: Logger
    ) {
        self.database = database
        self.products = ProductRepository(database: database)
        self.orders = OrderRepository(database: database)
        self.grants = LicenceGrantRepository(database: database)
        self.refunds = RefundRepository(database: database)
        self.provider = provider
        self.sellers = sellers
        self.processor = processor
        self.refundWindow = refundWindow
        self.logger = logger
    }

    /// What the marketplace needs to know about a track it is asked to list.
    public struct TrackFacts: Sendable, Equatable {
        public var id: UUID
        public var ownerID: UUID
        public var isReady: Bool

        public init(id: UUID, ownerID: UUID, isReady: Bool) {
            self.id = id
            self.ownerID = ownerID
            self.isReady = isReady
        }
    }

    func requireSeller(_ userID: UUID) async throws {
        guard try await self.sellers.maySell(userID: userID) else {
            throw MarketplaceError.refused(.planRequired, "selling needs a plan with the sell feature")
        }
    }

    /// Lists `track` with `offers`: only its owner, with `sell`, for a `ready` track.
    public func createProduct(
        sellerID: UUID,
        track: TrackFacts,
        offers: [LicenceOffer],
        now: Date = Date()
    )
        async throws -> Product
    {
        guard track.ownerID == sellerID else {
            throw MarketplaceError.refused(.forbidden, "only the track's owner may sell it")
        }
        let offers = try LicenceOffer.validated(offers)
        try await self.requireSeller(sellerID)
        guard track.isReady else {
            throw MarketplaceError.refused(.trackNotReady, "only ready tracks can be sold; wait for the transcode")
        }
        return try await self.products.create(trackID: track.id, sellerID: sellerID, offers: offers, now: now)
    }

    /// The product when `sellerID` owns it.
    func ownedProduct(_ productID: UUID, sellerID: UUID) async throws -> Product {
        guard let product = try await self.products.find(productID) else {
            throw MarketplaceError.refused(.notFound, "no such product")
        }
        guard product.sellerID == sellerID else {
            throw MarketplaceError.refused(.forbidden, "only the product's seller may change it")
        }
        return product
    }

    /// Replaces the product's licences in one transaction.
    public func replaceLicences(
        productID: UUID,
        sellerID: UUID,
        offers: [LicenceOffer],
        now: Date = Date()
    )
        async throws -> Product
    {
        _ = try await self.ownedProduct(productID, sellerID: sellerID)
        let offers = try LicenceOffer.validated(offers)
        try await self.requireSeller(sellerID)
        return try await self.products.replaceLicences(productID: productID, offers: offers, now: now)
    }

    /// Unlists the product (idempotent).
    public func unlist(productID: UUID, sellerID: UUID, now: Date = Date()) async throws {
        _ = try await self.ownedProduct(productID, sellerID: sellerID)
        try await self.products.unlist(productID, now: now)
    }

    /// A new order and the provider payment the buyer completes with its client secret.
    public struct Checkout: Sendable, Equatable {
        public var order: Order
        public var paymentID: String
        public var clientSecret: String?
    }

    /// Places an order for a licence: a `pending` row, then the payment at the provider with
    /// `Idempotency-Key` = the order id (and `payment_id` = the order id). A provider failure
    /// fails the order (which frees an exclusive licence again).
    ///
    /// - Throws: ``MarketplaceError``: `not_found`, `own_track`, `product_unlisted`,
    ///   `exclusive_unavailable`, `payment_provider_unavailable`, `payment_provider_failed`.
    public func placeOrder(buyerID: UUID, licenceID: UUID, now: Date = Date()) async throws -> Checkout {
        guard let provider = self.provider else {
            throw MarketplaceError.refused(.providerUnavailable, "no payment provider is configured")
        }
        let order = try await self.database.transaction { connection in
            guard let (licence, product) = try await self.products.licence(licenceID, on: connection) else {
                throw MarketplaceError.refused(.notFound, "no such licence")
            }
            guard product.sellerID != buyerID else {
                throw MarketplaceError.refused(.ownTrack, "you cannot buy a licence of your own track")
            }
            guard product.status == .listed, licence.active else {
                throw MarketplaceError.refused(.productUnlisted, "this licence is not on sale any more")
            }
            let order = Order(
                id: UUID(),
                buyerID: buyerID,
                sellerID: product.sellerID,
                productID: product.id,
                licenceID: licence.id,
                licenceKind: licence.kind,
                amountCents: licence.priceCents,
                currency: licence.currency,
                status: .pending,
                paymentID: nil,
                createdAt: now,
                paidAt: nil
            )
            try await self.orders.insert(order, now: now, on: connection)
            return order
        }
        let key = order.id.lowercased
        let payment: MarketplaceProviderPayment
        do {
            payment = try await provider.createPayment(
                MarketplacePaymentRequest(
                    paymentID: key,
                    amountMinor: order.amountCents,
                    currency: order.currency,
                    customerID: buyerID.lowercased,
                    metadata: Self.paymentMetadata(orderID: key)
                ),
                idempotencyKey: key
            )
        } catch {
            self.logger.error(
                "payment could not be created; the order failed",
                metadata: ["order.id": "\(key)", "error.message": "\(error)"]
            )
            try? await self.processor.failUnpaid(orderID: order.id)
            throw MarketplaceError.refused(
                .providerFailed,
                "the payment provider did not create the payment; try again"
            )
        }
        try await self.orders.setPaymentID(order.id, paymentID: payment.id, now: Date())
        var placed = order
        placed.paymentID = payment.id
        self.logger.info(
            "order placed",
            metadata: ["order.id": "\(key)", "payment.id": "\(payment.id)", "licence.id": "\(licenceID.lowercased)"]
        )
        return Checkout(order: placed, paymentID: payment.id, clientSecret: payment.clientSecret)
    }

    /// What the payment carries back in webhooks: the order it pays for (provider metadata, not log metadata).
    static func paymentMetadata(orderID: String) -> [String: String] {
        var values: [String: String] = [:]
        values["order_id"] = orderID
        values["purpose"] = "marketplace_order"
        return values
    }

    /// The order when `userID` is its buyer or seller (or an admin asks).
    public func order(_ id: UUID, userID: UUID, isAdmin: Bool) async throws -> Order {
        guard let order = try await self.orders.find(id),
            isAdmin || order.buyerID == userID || order.sellerID == userID
        else { throw MarketplaceError.refused(.notFound, "no such order") }
        return order
    }
}
