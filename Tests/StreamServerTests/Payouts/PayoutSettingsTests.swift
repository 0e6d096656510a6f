import Foundation
import Marketplace
import Retry
import Testing

@testable import StreamServer

@Suite("TRANSFER_* and REVERSAL_* settings")
struct PayoutSettingsTests {
    static func configuration(_ extra: [String: String]) throws -> AppConfiguration {
        try AppConfiguration(environment: ["JWT_SECRET": String(repeating: "k", count: 40)].merging(extra) { $1 })
    }

    @Test func defaults() throws {
        let payouts = try Self.configuration([:]).payouts
        #expect(payouts.transferRetryInterval == .seconds(60))
        #expect(payouts.reversalCheckInterval == .seconds(60))
        #expect(payouts.transferMaxRetries == 5 && payouts.reversalMaxRetries == 5)
        #expect(payouts.policy.reversalBackoff == Backoff(base: .seconds(60), cap: .seconds(3600)))
        #expect(payouts.policy.transferBackoff == Backoff(base: .seconds(60), cap: .seconds(3600)))
    }

    @Test func durationsAndCounts() throws {
        let payouts = try Self.configuration([
            "TRANSFER_RETRY_INTERVAL": "1s",
            "REVERSAL_CHECK_INTERVAL": "90s",
            "REVERSAL_BACKOFF_BASE": "15m",
            "REVERSAL_BACKOFF_MAX": "1h",
            "TRANSFER_BACKOFF_MAX": "14d",
            "TRANSFER_MAX_RETRIES": "0",
            "REVERSAL_MAX_RETRIES": "7",
        ]).payouts
        #expect(payouts.transferRetryInterval == .seconds(1))
        #expect(payouts.reversalCheckInterval == .seconds(90))
        #expect(payouts.policy.reversalBackoff == Backoff(base: .seconds(900), cap: .seconds(3600)))
        #expect(payouts.transferBackoffMax == .seconds(14 * 86400))
        #expect(payouts.policy.transferMaxRetries == 0 && payouts.policy.reversalMaxRetries == 7)
    }

    @Test(arguments: [
        ("TRANSFER_RETRY_INTERVAL", "0s"), ("REVERSAL_CHECK_INTERVAL", "soon"), ("REVERSAL_BACKOFF_MAX", "-1m"),
        ("TRANSFER_MAX_RETRIES", "-1"), ("REVERSAL_MAX_RETRIES", "many"), ("TRANSFER_BACKOFF_BASE", "31d"),
    ])
    func refused(name: String, value: String) throws {
        #expect(throws: ConfigurationError.self) { try Self.configuration([name: value]) }
    }
}
