/// The subscription workers' timing (`RECONCILE_*`, `SUBSCRIPTION_*`), durations like `STREAM_URL_TTL`.
public struct SubscriptionSettings: Sendable, Equatable {
    /// `RECONCILE_PENDING_AFTER`: a pending invoice older than this is read back from the provider.
    public var reconcilePendingAfter: Duration = .seconds(30 * 60)
    /// `RECONCILE_INTERVAL`: time between reconciliation passes.
    public var reconcileInterval: Duration = .seconds(3600)
    /// `SUBSCRIPTION_SWEEP_INTERVAL`: time between period sweeps.
    public var sweepInterval: Duration = .seconds(60)
    /// `SUBSCRIPTION_GRACE`: how long an unpaid renewal keeps the plan before it expires.
    public var grace: Duration = .seconds(3 * 86400)

    init(env: Environment) throws {
        if let raw = env["RECONCILE_PENDING_AFTER"] {
            self.reconcilePendingAfter = try AppConfiguration.duration("RECONCILE_PENDING_AFTER", raw)
        }
        if let raw = env["RECONCILE_INTERVAL"] {
            self.reconcileInterval = try AppConfiguration.duration("RECONCILE_INTERVAL", raw)
        }
        if let raw = env["SUBSCRIPTION_SWEEP_INTERVAL"] {
            self.sweepInterval = try AppConfiguration.duration("SUBSCRIPTION_SWEEP_INTERVAL", raw)
        }
        if let raw = env["SUBSCRIPTION_GRACE"] {
            self.grace = try AppConfiguration.duration("SUBSCRIPTION_GRACE", raw)
        }
    }
}
