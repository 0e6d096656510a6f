import Foundation
import Testing

@testable import StreamServer

/// `PLATFORM_FEE_PERCENT`, `REFUND_WINDOW` and the marketplace's `RECONCILE_*` durations.
@Suite("Marketplace settings")
struct MarketplaceSettingsTests {
    static func configuration(_ extra: [String: String]) throws -> AppConfiguration {
        try AppConfiguration(
            environment: ["VEZA_DATA_DIR": "/tmp/veza-settings", "JWT_SECRET": String(repeating: "k", count: 40)]
                .merging(extra) { $1 }
        )
    }

    @Test func defaults() throws {
        let settings = try Self.configuration([:]).marketplace
        #expect(settings.platformFeePercent == 10)
        #expect(settings.refundWindow == .seconds(14 * 86400))
        #expect(settings.orderStuckAfter == .seconds(1800))
        #expect(settings.refundStuckAfter == .seconds(1800))
        #expect(settings.refundOrphanAfter == .seconds(300))
    }

    @Test func parsed() throws {
        let settings = try Self.configuration([
            "PLATFORM_FEE_PERCENT": "0", "REFUND_WINDOW": "14d", "RECONCILE_ORDER_STUCK_AFTER": "90s",
            "RECONCILE_REFUND_STUCK_AFTER": "15m", "RECONCILE_REFUND_ORPHAN_AFTER": "1s",
            "RECONCILE_MARKETPLACE_INTERVAL": "1h",
        ]).marketplace
        #expect(settings.platformFeePercent == 0)
        #expect(settings.refundWindow == .seconds(14 * 86400))
        #expect(settings.orderStuckAfter == .seconds(90))
        #expect(settings.refundStuckAfter == .seconds(900))
        #expect(settings.refundOrphanAfter == .seconds(1))
        #expect(settings.reconcileInterval == .seconds(3600))
    }

    @Test(arguments: [
        ("PLATFORM_FEE_PERCENT", "101"), ("PLATFORM_FEE_PERCENT", "-1"), ("PLATFORM_FEE_PERCENT", "ten"),
        ("REFUND_WINDOW", "soon"), ("REFUND_WINDOW", "0s"), ("RECONCILE_REFUND_ORPHAN_AFTER", "5x"),
    ])
    func refused(name: String, value: String) throws {
        #expect(throws: ConfigurationError.self) { try Self.configuration([name: value]) }
    }
}
