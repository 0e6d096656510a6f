import Foundation

/// A paid capability a plan grants; routes ask ``FeatureGate/can(_:_:)``, never a plan id.
public enum Feature: String, Codable, Sendable, CaseIterable {
    /// May list tracks on the marketplace.
    case sell
    /// May send tracks to distribution.
    case distribution
    /// May hear the 256 kb/s rendition.
    case hifi
}

/// How often a paid plan is billed.
public enum BillingCycle: String, Codable, Sendable, CaseIterable {
    case monthly
    case yearly

    /// The end of a period of this cycle starting at `start` (calendar months and years, UTC).
    public func periodEnd(from start: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components: DateComponents = self == .monthly ? DateComponents(month: 1) : DateComponents(year: 1)
        return calendar.date(byAdding: components, to: start) ?? start.addingTimeInterval(31 * 86400)
    }
}

/// A plan as seeded by ``SubscriptionMigrations``: prices in minor units (cents).
public struct Plan: Sendable, Equatable, Identifiable {
    public var id: String
    public var name: String
    /// Lowercase ISO 4217, e.g. `usd`.
    public var currency: String
    public var monthlyCents: Int64
    public var yearlyCents: Int64
    /// Days of the free trial a user gets once (0: none).
    public var trialDays: Int
    public var features: [Feature]
    /// Orders plans: a change to a higher rank is an upgrade (takes effect on payment), to a lower
    /// one a downgrade (at the period end).
    public var rank: Int

    /// Whether subscribing needs no payment at all.
    public var isFree: Bool { self.monthlyCents == 0 && self.yearlyCents == 0 }

    /// The price of one period of `cycle`, in minor units.
    public func price(_ cycle: BillingCycle) -> Int64 {
        cycle == .monthly ? self.monthlyCents : self.yearlyCents
    }
}

/// A row of `plans`, as stored.
struct PlanRow: Decodable {
    var id: String
    var name: String
    var currency: String
    var monthly_cents: Int64
    var yearly_cents: Int64
    var trial_days: Int
    var features: String
    var rank: Int

    var plan: Plan {
        Plan(
            id: self.id,
            name: self.name,
            currency: self.currency,
            monthlyCents: self.monthly_cents,
            yearlyCents: self.yearly_cents,
            trialDays: self.trial_days,
            features: self.features.split(separator: ",").compactMap { Feature(rawValue: String($0)) },
            rank: self.rank
        )
    }
}
