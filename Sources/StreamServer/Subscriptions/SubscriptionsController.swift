import Foundation
import Hummingbird
import Subscription
import VezaAPI

/// Plans, subscribing and managing the caller's subscription, `me/subscription` and the
/// distribution eligibility. Every feature question goes to ``FeatureGate``.
struct SubscriptionsController: Sendable {
    let service: SubscriptionService
    let gate: FeatureGate

    /// Mounted at `api/v1`.
    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("subscriptions/plans") { _, _ in try await self.plans() }
        routes.post("subscriptions/subscribe") { request, context in try await self.subscribe(request, context) }
        routes.post("subscriptions/change") { request, context in try await self.change(request, context) }
        routes.post("subscriptions/complete/:id") { request, context in try await self.complete(request, context) }
        routes.post("subscriptions/cancel") { _, context in
            try await self.envelope { try await self.service.cancel(userID: try Self.userID(context)) }
        }
        routes.post("subscriptions/reactivate") { _, context in
            try await self.envelope { try await self.service.reactivate(userID: try Self.userID(context)) }
        }
        routes.get("me/subscription") { _, context in try await self.mine(context) }
        routes.get("distribution/eligibility") { _, context in
            let (eligible, reason) = try await Self.mapped {
                try await self.service.distributionEligibility(userID: try Self.userID(context), gate: self.gate)
            }
            return try jsonResponse(DistributionEligibilityResponse(eligible: eligible, reason: reason))
        }
        return routes
    }

    static func userID(_ context: AppRequestContext) throws -> UUID {
        guard let identity = context.identity else {
            throw APIError.unauthorized("send Authorization: Bearer <token>")
        }
        return identity.userID
    }

    /// Runs `body`, answering the module's refusals as JSON errors.
    static func mapped<R>(_ body: () async throws -> R) async throws -> R {
        do {
            return try await body()
        } catch let error as SubscriptionError {
            throw APIError(subscription: error)
        }
    }

    static func cycle(_ raw: String?) throws -> BillingCycle? {
        guard let raw else { return nil }
        guard let cycle = BillingCycle(rawValue: raw) else {
            throw APIError.badRequest("billing_cycle must be monthly or yearly", code: "invalid_billing_cycle")
        }
        return cycle
    }

    func plans() async throws -> Response {
        let plans = try await self.service.plans()
        return try jsonResponse(
            PlansResponse(
                plans: plans.map {
                    .init(
                        id: $0.id,
                        name: $0.name,
                        currency: $0.currency,
                        priceCents: .init(monthly: $0.monthlyCents, yearly: $0.yearlyCents),
                        trialDays: $0.trialDays,
                        features: $0.features.map(\.rawValue)
                    )
                }
            )
        )
    }

    func subscribe(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let userID = try Self.userID(context)
        let body = try await request.decodeJSON(as: SubscribeRequest.self)
        let cycle = try Self.cycle(body.billingCycle) ?? .monthly
        let checkout = try await Self.mapped {
            try await self.service.subscribe(userID: userID, planID: body.plan, cycle: cycle)
        }
        return try jsonResponse(
            SubscriptionCheckoutResponse(checkout),
            status: checkout.created ? .created : .ok
        )
    }

    func change(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let userID = try Self.userID(context)
        let body = try await request.decodeJSON(as: ChangeSubscriptionRequest.self)
        guard body.plan != nil || body.billingCycle != nil else {
            throw APIError.badRequest("send plan, billing_cycle or both", code: "invalid_change")
        }
        let cycle = try Self.cycle(body.billingCycle)
        let checkout = try await Self.mapped {
            try await self.service.change(userID: userID, planID: body.plan, cycle: cycle)
        }
        return try jsonResponse(SubscriptionCheckoutResponse(checkout))
    }

    func complete(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let userID = try Self.userID(context)
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw APIError.notFound("no such subscription")
        }
        let payment = try await Self.mapped { try await self.service.complete(userID: userID, subscriptionID: id) }
        return try jsonResponse(
            PaymentEnvelope(payment: PaymentResource(paymentID: payment.paymentID, clientSecret: payment.clientSecret))
        )
    }

    func envelope(_ body: () async throws -> UserSubscription) async throws -> Response {
        let subscription = try await Self.mapped(body)
        return try jsonResponse(SubscriptionEnvelope(subscription: SubscriptionResource(subscription)))
    }

    func mine(_ context: AppRequestContext) async throws -> Response {
        let overview = try await self.service.overview(userID: try Self.userID(context), gate: self.gate)
        return try jsonResponse(
            MySubscriptionResponse(
                subscription: overview.subscription.map(SubscriptionResource.init),
                needsPayment: overview.needsPayment,
                features: overview.features.map(\.rawValue)
            )
        )
    }
}
