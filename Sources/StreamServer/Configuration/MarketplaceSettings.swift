/// The marketplace's money rules and reconcile timing (`PLATFORM_FEE_PERCENT`, `REFUND_WINDOW`,
/// `RECONCILE_ORDER_*`, `RECONCILE_REFUND_*`): durations like `90s`, `15m`, `1h`, `14d`.
public struct MarketplaceSettings: Sendable, Equatable {
    /// `PLATFORM_FEE_PERCENT`: kept by the platform from each sale, 0 to 100.
    public var platformFeePercent = 10
    /// `REFUND_WINDOW`: how long after the payment a refund may be asked for.
    public var refundWindow: Duration = .seconds(14 * 86400)
    /// `RECONCILE_ORDER_STUCK_AFTER`: a pending order with a payment older than this is read back.
    public var orderStuckAfter: Duration = .seconds(30 * 60)
    /// `RECONCILE_REFUND_STUCK_AFTER`: a pending refund with a provider id older than this is read back.
    public var refundStuckAfter: Duration = .seconds(30 * 60)
    /// `RECONCILE_REFUND_ORPHAN_AFTER`: a pending refund never sent to the provider is failed after this.
    public var refundOrphanAfter: Duration = .seconds(5 * 60)
    /// `RECONCILE_MARKETPLACE_INTERVAL`: time between the marketplace reconcile passes.
    public var reconcileInterval: Duration = .seconds(60)

    public init() {}

    init(env: Environment) throws {
        if let raw = env["PLATFORM_FEE_PERCENT"] {
            self.platformFeePercent = try env.integer(
                "PLATFORM_FEE_PERCENT",
                raw,
                in: 0...100,
                expected: "a whole percentage, 0 to 100"
            )
        }
        let durations: [(String, WritableKeyPath<MarketplaceSettings, Duration>)] = [
            ("REFUND_WINDOW", \.refundWindow),
            ("RECONCILE_ORDER_STUCK_AFTER", \.orderStuckAfter),
            ("RECONCILE_REFUND_STUCK_AFTER", \.refundStuckAfter),
            ("RECONCILE_REFUND_ORPHAN_AFTER", \.refundOrphanAfter),
            ("RECONCILE_MARKETPLACE_INTERVAL", \.reconcileInterval),
        ]
        for (name, path) in durations {
            if let raw = env[name] {
                self[keyPath: path] = try AppConfiguration.duration(name, raw, maximum: 365 * 86400)
            }
        }
    }
}
