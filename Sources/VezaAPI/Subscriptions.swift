import Foundation

/// `GET /api/v1/subscriptions/plans`.
public struct PlansResponse: Codable, Sendable, Equatable {
    public struct Price: Codable, Sendable, Equatable {
        public var monthly: Int64
        public var yearly: Int64
        public init(monthly: Int64, yearly: Int64) {
            self.monthly = monthly
            self.yearly = yearly
        }
    }

    public struct PlanResource: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        public var currency: String
        public var priceCents: Price
        public var trialDays: Int
        public var features: [String]

        enum CodingKeys: String, CodingKey {
            case id, name, currency, features
            case priceCents = "price_cents"
            case trialDays = "trial_days"
        }

        public init(id: String, name: String, currency: String, priceCents: Price, trialDays: Int, features: [String]) {
            self.id = id
            self.name = name
            self.currency = currency
            self.priceCents = priceCents
            self.trialDays = trialDays
            self.features = features
        }
    }

    public var plans: [PlanResource]

    public init(plans: [PlanResource]) {
        self.plans = plans
    }
}

/// `POST /api/v1/subscriptions/subscribe`.
public struct SubscribeRequest: Codable, Sendable, Equatable {
    public var plan: String
    /// `monthly` (default) or `yearly`.
    public var billingCycle: String?

    enum CodingKeys: String, CodingKey {
        case plan
        case billingCycle = "billing_cycle"
    }

    public init(plan: String, billingCycle: String? = nil) {
        self.plan = plan
        self.billingCycle = billingCycle
    }
}

/// `POST /api/v1/subscriptions/change`: either or both.
public struct ChangeSubscriptionRequest: Codable, Sendable, Equatable {
    public var plan: String?
    public var billingCycle: String?

    enum CodingKeys: String, CodingKey {
        case plan
        case billingCycle = "billing_cycle"
    }

    public init(plan: String? = nil, billingCycle: String? = nil) {
        self.plan = plan
        self.billingCycle = billingCycle
    }
}

/// A subscription as the API shows it.
public struct SubscriptionResource: Codable, Sendable, Equatable {
    /// Lowercase UUID.
    public var id: String
    public var plan: String
    /// `trialing`, `pending_payment`, `active`, `past_due`, `canceled` or `expired`.
    public var status: String
    public var billingCycle: String
    public var currentPeriodEnd: Date?
    public var trialEnd: Date?
    /// The subscription ends at the period end (a cancel the user can take back with reactivate).
    public var cancelAtPeriodEnd: Bool
    /// A downgrade taking effect at the period end.
    public var scheduledPlan: String?

    enum CodingKeys: String, CodingKey {
        case id, plan, status
        case billingCycle = "billing_cycle"
        case currentPeriodEnd = "current_period_end"
        case trialEnd = "trial_end"
        case cancelAtPeriodEnd = "cancel_at_period_end"
        case scheduledPlan = "scheduled_plan"
    }

    public init(
        id: String,
        plan: String,
        status: String,
        billingCycle: String,
        currentPeriodEnd: Date?,
        trialEnd: Date?,
        cancelAtPeriodEnd: Bool,
        scheduledPlan: String?
    ) {
        self.id = id
        self.plan = plan
        self.status = status
        self.billingCycle = billingCycle
        self.currentPeriodEnd = currentPeriodEnd
        self.trialEnd = trialEnd
        self.cancelAtPeriodEnd = cancelAtPeriodEnd
        self.scheduledPlan = scheduledPlan
    }
}

/// A provider payment for the client to confirm with the provider's SDK.
public struct PaymentResource: Codable, Sendable, Equatable {
    public var paymentID: String
    public var clientSecret: String?

    enum CodingKeys: String, CodingKey {
        case paymentID = "payment_id"
        case clientSecret = "client_secret"
    }

    public init(paymentID: String, clientSecret: String?) {
        self.paymentID = paymentID
        self.clientSecret = clientSecret
    }
}

/// `subscribe` (201) and `change`: the subscription and, when one was created, its payment.
public struct SubscriptionCheckoutResponse: Codable, Sendable, Equatable {
    public var subscription: SubscriptionResource
    public var payment: PaymentResource?

    public init(subscription: SubscriptionResource, payment: PaymentResource?) {
        self.subscription = subscription
        self.payment = payment
    }
}

/// `cancel`, `reactivate`.
public struct SubscriptionEnvelope: Codable, Sendable, Equatable {
    public var subscription: SubscriptionResource

    public init(subscription: SubscriptionResource) {
        self.subscription = subscription
    }
}

/// `complete/{id}`.
public struct PaymentEnvelope: Codable, Sendable, Equatable {
    public var payment: PaymentResource

    public init(payment: PaymentResource) {
        self.payment = payment
    }
}

/// `GET /api/v1/me/subscription`.
public struct MySubscriptionResponse: Codable, Sendable, Equatable {
    /// The latest subscription (any status), or null.
    public var subscription: SubscriptionResource?
    public var needsPayment: Bool
    /// The features granted now (`sell`, `distribution`, `hifi`).
    public var features: [String]

    enum CodingKeys: String, CodingKey {
        case subscription, features
        case needsPayment = "needs_payment"
    }

    public init(subscription: SubscriptionResource?, needsPayment: Bool, features: [String]) {
        self.subscription = subscription
        self.needsPayment = needsPayment
        self.features = features
    }

    /// Encodes `subscription: null` explicitly, as documented.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.subscription, forKey: .subscription)
        try container.encode(self.needsPayment, forKey: .needsPayment)
        try container.encode(self.features, forKey: .features)
    }
}

/// `GET /api/v1/distribution/eligibility`.
public struct DistributionEligibilityResponse: Codable, Sendable, Equatable {
    public var eligible: Bool
    /// What the user can do about it.
    public var reason: String

    public init(eligible: Bool, reason: String) {
        self.eligible = eligible
        self.reason = reason
    }
}
