import Catalog
import Foundation
import Hummingbird
import Marketplace

/// The catalogue, orders, refunds and the buyer's `me/orders` and `me/licences`. Domain rules
/// live in ``MarketplaceService``; this maps HTTP to it and its refusals back to JSON errors.
struct MarketplaceController: Sendable {
    let service: MarketplaceService
    let tracks: TrackRepository

    /// Mounted at `api/v1`.
    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.post("marketplace/products") { request, context in try await self.createProduct(request, context) }
        routes.get("marketplace/products") { request, _ in try await self.listProducts(request) }
        routes.get("marketplace/products/:id") { _, context in
            guard let product = try await self.service.products.find(try Self.id(context, "product")) else {
                throw APIError.notFound("no such product")
            }
            return try jsonResponse(ProductEnvelope(product: ProductResource(product)))
        }
        routes.put("marketplace/products/:id/licences") { request, context in
            try await self.replaceLicences(request, context)
        }
        routes.delete("marketplace/products/:id") { _, context in
            let sellerID = try Self.userID(context)
            let id = try Self.id(context, "product")
            try await Self.mapped { try await self.service.unlist(productID: id, sellerID: sellerID) }
            return Response(status: .noContent)
        }
        routes.post("marketplace/orders") { request, context in try await self.placeOrder(request, context) }
        routes.get("marketplace/orders/:id") { _, context in
            let identity = try Self.identity(context)
            let id = try Self.id(context, "order")
            let order = try await Self.mapped {
                try await self.service.order(id, userID: identity.userID, isAdmin: identity.isAdmin)
            }
            return try jsonResponse(OrderEnvelope(order: OrderResource(order), payment: nil))
        }
        routes.post("marketplace/orders/:id/refund") { _, context in
            let identity = try Self.identity(context)
            let id = try Self.id(context, "order")
            let refund = try await Self.mapped {
                try await self.service.requestRefund(orderID: id, userID: identity.userID, isAdmin: identity.isAdmin)
            }
            return try jsonResponse(
                RefundEnvelope(refund: RefundResource(id: refund.id.idString, status: refund.status.rawValue)),
                status: .accepted
            )
        }
        routes.get("me/orders") { _, context in
            let orders = try await self.service.orders.orders(buyerID: try Self.userID(context))
            return try jsonResponse(OrdersEnvelope(orders: orders.map(OrderResource.init)))
        }
        routes.get("me/licences") { request, context in
            let all = try Self.flag(request.uri.queryParameters.get("all"), name: "all")
            let grants = try await self.service.grants.grants(buyerID: try Self.userID(context), all: all)
            return try jsonResponse(LicenceGrantsEnvelope(licences: grants.map(LicenceGrantResource.init)))
        }
        return routes
    }

    static func identity(_ context: AppRequestContext) throws -> Identity {
        guard let identity = context.identity else {
            throw APIError.unauthorized("send Authorization: Bearer <token>")
        }
        return identity
    }

    static func userID(_ context: AppRequestContext) throws -> UUID { try self.identity(context).userID }

    static func id(_ context: AppRequestContext, _ what: String) throws -> UUID {
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw APIError.notFound("no such \(what)")
        }
        return id
    }

    static func flag(_ raw: String?, name: String) throws -> Bool {
        switch raw {
        case nil, "0", "false": return false
        case "1", "true": return true
        default: throw APIError.badRequest("\(name) must be 1 or 0", code: "invalid_query")
        }
    }

    /// Runs `body`, answering the module's refusals as JSON errors.
    static func mapped<R>(_ body: () async throws -> R) async throws -> R {
        do {
            return try await body()
        } catch let error as MarketplaceError {
            throw APIError(marketplace: error)
        }
    }

    func createProduct(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let sellerID = try Self.userID(context)
        let body = try await request.decodeJSON(as: CreateProductBody.self)
        // Someone else's private track answers like a missing one: ids cannot be probed.
        guard let track = try await self.tracks.find(id: body.trackID), track.deletedAt == nil,
            track.ownerID == sellerID || track.visibility != .private
        else { throw APIError.notFound("no such track") }
        let product = try await Self.mapped {
            try await self.service.createProduct(
                sellerID: sellerID,
                track: .init(id: track.id, ownerID: track.ownerID, isReady: track.status == .ready),
                offers: body.licences.map(\.offer)
            )
        }
        return try jsonResponse(ProductEnvelope(product: ProductResource(product)), status: .created)
    }

    func listProducts(_ request: Request) async throws -> Response {
        guard let raw = request.uri.queryParameters.get("track_id") else {
            throw APIError.badRequest("send ?track_id=<uuid>", code: "invalid_query")
        }
        guard let trackID = UUID(uuidString: raw) else {
            throw APIError.badRequest("track_id must be a UUID", code: "invalid_query")
        }
        let products = try await self.service.products.products(trackID: trackID)
        return try jsonResponse(ProductsEnvelope(products: products.map(ProductResource.init)))
    }

    func replaceLicences(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let sellerID = try Self.userID(context)
        let id = try Self.id(context, "product")
        let body = try await request.decodeJSON(as: ReplaceLicencesBody.self)
        let product = try await Self.mapped {
            try await self.service.replaceLicences(
                productID: id,
                sellerID: sellerID,
                offers: body.licences.map(\.offer)
            )
        }
        return try jsonResponse(ProductEnvelope(product: ProductResource(product)))
    }

    func placeOrder(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let buyerID = try Self.userID(context)
        let body = try await request.decodeJSON(as: CreateOrderBody.self)
        let checkout = try await Self.mapped {
            try await self.service.placeOrder(buyerID: buyerID, licenceID: body.licenceID)
        }
        return try jsonResponse(
            OrderEnvelope(
                order: OrderResource(checkout.order),
                payment: OrderPaymentResource(paymentID: checkout.paymentID, clientSecret: checkout.clientSecret)
            ),
            status: .created
        )
    }
}
