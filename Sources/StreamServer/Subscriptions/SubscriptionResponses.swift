import Foundation
import HTTPTypes
import Subscription
import VezaAPI

extension SubscriptionResource {
    init(_ subscription: UserSubscription) {
        self.init(
            id: subscription.id.uuidString.lowercased(),
            plan: subscription.planID,
            status: subscription.status.rawValue,
            billingCycle: subscription.billingCycle.rawValue,
            currentPeriodEnd: subscription.currentPeriodEnd,
            trialEnd: subscription.trialEnd,
            cancelAtPeriodEnd: subscription.isCancelScheduled,
            scheduledPlan: subscription.scheduledPlanID
        )
    }
}

extension SubscriptionCheckoutResponse {
    init(_ checkout: SubscriptionService.Checkout) {
        self.init(
            subscription: SubscriptionResource(checkout.subscription),
            payment: checkout.payment.map { PaymentResource(paymentID: $0.paymentID, clientSecret: $0.clientSecret) }
        )
    }
}

extension APIError {
    /// The HTTP answer to a refusal of the Subscription module.
    init(subscription error: SubscriptionError) {
        let status: HTTPResponse.Status
        switch error.code {
        case .unknownPlan, .noChange: status = .badRequest
        case .providerUnavailable: status = .serviceUnavailable
        case .providerFailed: status = .badGateway
        case .alreadySubscribed, .invalidState: status = .conflict
        case .notFound: status = .notFound
        }
        self.init(status, code: error.code.rawValue, message: error.message)
    }
}

/// The `hifi` plan feature for the HLS routes, from ``FeatureGate``.
struct PlanHiFiEntitlement: HiFiEntitlement {
    let gate: FeatureGate

    func mayHearHiFi(userID: UUID) async -> Bool {
        // A database error refuses: hi-fi is never granted on a guess.
        (try? await self.gate.can(userID, .hifi)) ?? false
    }
}
