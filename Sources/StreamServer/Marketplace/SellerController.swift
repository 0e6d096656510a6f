import Foundation
import Hummingbird
import Marketplace
import VezaAPI

/// The seller's side of payouts: the Connect account, the balance, the transfers; and the
/// administrators' retry of a transfer. Mounted at `api/v1`.
struct SellerController: Sendable {
    let accounts: SellerAccountRepository
    let balances: BalanceRepository
    let transfers: TransferRepository
    let sender: TransferSender
    let reverser: TransferReverser
    let clock: @Sendable () -> Date

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.put("marketplace/seller/account") { request, context in try await self.setAccount(request, context) }
        routes.get("marketplace/seller/balance") { request, context in try await self.balance(request, context) }
        routes.get("marketplace/seller/transfers") { _, context in try await self.list(context) }
        routes.post("admin/transfers/:id/retry") { _, context in try await self.retry(context) }
        return routes
    }

    static func userID(_ context: AppRequestContext) throws -> UUID {
        guard let identity = context.identity else {
            throw APIError.unauthorized("send Authorization: Bearer <token>")
        }
        return identity.userID
    }

    func setAccount(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let sellerID = try Self.userID(context)
        let body = try await request.decodeJSON(as: SellerAccountRequest.self)
        guard SellerAccountRepository.isValidAccountID(body.stripeAccountID) else {
            throw APIError.badRequest(
                "stripe_account_id must be a Stripe Connect account id: acct_ followed by letters, digits or _",
                code: "invalid_stripe_account_id"
            )
        }
        let now = self.clock()
        try await self.accounts.upsert(sellerID: sellerID, stripeAccountID: body.stripeAccountID, now: now)
        // Payouts that failed for want of an account are tried at the retry worker's next pass.
        try await self.transfers.makeSellerFailuresDue(sellerID, now: now)
        return try jsonResponse(SellerAccountEnvelope(account: body))
    }

    func balance(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let sellerID = try Self.userID(context)
        let balance: SellerBalanceResponse.Balance
        if let currency = request.uri.queryParameters.get("currency") {
            guard currency.count == 3, currency.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                throw APIError.badRequest("currency must be an ISO 4217 code such as USD", code: "invalid_currency")
            }
            let amount = try await self.balances.balance(sellerID: sellerID, currency: currency)
            balance = .init(amountCents: amount, currency: currency.uppercased())
        } else if let latest = try await self.balances.balances(sellerID: sellerID).first {
            balance = .init(amountCents: latest.amountCents, currency: latest.currency)
        } else {
            balance = .init(amountCents: 0, currency: "USD")
        }
        return try jsonResponse(SellerBalanceResponse(balance: balance))
    }

    func list(_ context: AppRequestContext) async throws -> Response {
        let sellerID = try Self.userID(context)
        let rows = try await self.transfers.forSeller(sellerID)
        return try jsonResponse(SellerTransfersResponse(transfers: rows.map(SellerTransferResource.init)))
    }

    /// `failed` → sent again now; `reversal_pending` → reversed again now. Other statuses are
    /// refused: `pending` is being sent, `completed` is paid, and `reversed` and
    /// `permanently_failed` are dead ends of the transfer state machine.
    func retry(_ context: AppRequestContext) async throws -> Response {
        guard let identity = context.identity else {
            throw APIError.unauthorized("send Authorization: Bearer <token>")
        }
        guard identity.isAdmin else { throw APIError.forbidden("only administrators may retry transfers") }
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let row = try await self.transfers.find(id)
        else {
            throw APIError.notFound("no such transfer")
        }
        guard row.status == .failed || row.status == .reversalPending else {
            throw APIError(
                .conflict,
                code: "transfer_not_retryable",
                message: "transfer is \(row.status.rawValue); only failed and reversal_pending transfers can be retried"
            )
        }
        let now = self.clock()
        if let due = try await self.transfers.makeDueNow(id, status: row.status, now: now) {
            if due.status == .failed {
                await self.sender.attempt(due)
            } else {
                await self.reverser.attempt(due)
            }
        }
        guard let after = try await self.transfers.find(id) else { throw APIError.notFound("no such transfer") }
        return try jsonResponse(SellerTransferEnvelope(transfer: SellerTransferResource(after)))
    }
}

extension SellerTransferResource {
    init(_ transfer: SellerTransfer) {
        self.init(
            id: transfer.id.uuidString.lowercased(),
            orderID: transfer.orderID.uuidString.lowercased(),
            amountCents: transfer.amountCents,
            currency: transfer.currency.uppercased(),
            status: transfer.status.rawValue,
            stripeTransferID: transfer.stripeTransferID,
            stripeReversalID: transfer.stripeReversalID
        )
    }
}
