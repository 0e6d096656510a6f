import Database
import Foundation
import Logging
import Retry
import ServiceLifecycle

/// Every `interval`: sends again the `failed` transfers whose `next_retry_at` has come, and the
/// `pending` ones left behind by a process that died between the webhook's commit and its Stripe
/// call (never claimed and older than `interval`, or whose claim expired). Safe on several nodes:
/// each row is claimed before its call, so a node that loses the race skips it.
public struct TransferRetryWorker: Service {
    let sender: TransferSender
    /// Time between passes.
    public let interval: Duration
    let readiness: ReadinessGate
    let logger: Logger

    public init(sender: TransferSender, interval: Duration, readiness: ReadinessGate, logger: Logger) {
        self.sender = sender
        self.interval = interval
        self.readiness = readiness
        self.logger = logger
    }

    /// One pass, at most ``PayoutPolicy/batchSize`` rows of each kind.
    ///
    /// - Returns: The outcome per row attempted.
    @discardableResult
    public func retryOnce() async throws -> [TransferSender.Outcome] {
        let now = self.sender.clock()
        let limit = self.sender.policy.batchSize
        let failed = try await self.sender.transfers.due(.failed, now: now, limit: limit)
        let stale = try await self.sender.transfers.stalePending(
            createdBefore: now.addingTimeInterval(-self.interval.seconds),
            now: now,
            limit: limit
        )
        var outcomes: [TransferSender.Outcome] = []
        for row in failed + stale {
            outcomes.append(await self.sender.attempt(row))
        }
        return outcomes
    }

    public func run() async throws {
        let loop = PeriodicLoop(
            interval: self.interval,
            readiness: self.readiness,
            logger: self.logger,
            failureMessage: "transfer retry pass failed"
        )
        await loop.run { try await self.retryOnce() }
    }
}

/// Every `interval`: ``TransferReverser/reverseDue()`` over the due `reversal_pending` rows.
public struct ReversalWorker: Service {
    let reverser: TransferReverser
    /// Time between passes.
    public let interval: Duration
    let readiness: ReadinessGate
    let logger: Logger

    public init(reverser: TransferReverser, interval: Duration, readiness: ReadinessGate, logger: Logger) {
        self.reverser = reverser
        self.interval = interval
        self.readiness = readiness
        self.logger = logger
    }

    public func run() async throws {
        let loop = PeriodicLoop(
            interval: self.interval,
            readiness: self.readiness,
            logger: self.logger,
            failureMessage: "transfer reversal pass failed"
        )
        await loop.run { try await self.reverser.reverseDue() }
    }
}
