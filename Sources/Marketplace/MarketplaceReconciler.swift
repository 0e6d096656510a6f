import Database
import Foundation
import Logging
import Retry
import ServiceLifecycle

/// Finishes what a lost webhook or a crash left behind, through the same
/// ``MarketplaceEventProcessor`` as the webhooks (so a replay changes nothing):
///
/// - orders `pending` longer than `orderStuckAfter`: the payment is read back and applied; an
///   order whose payment never reached the provider (a crash before the call: the provider has
///   no payment with the order's id) fails, which frees an exclusive licence;
/// - refunds `pending` longer than `refundStuckAfter` with a provider id: read back and applied;
/// - orphan refunds, `pending` longer than `refundOrphanAfter` without a provider id (a crash
///   between phases 1 and 2): if the provider has the refund after all it is stored and applied,
///   otherwise the refund fails and the order is `completed` again, with an error log line.
///
/// At most 50 rows per phase per pass; a provider error leaves the row for the next pass.
public struct MarketplaceReconciler: Service {
    let processor: MarketplaceEventProcessor
    let orderStuckAfter: Duration
    let refundStuckAfter: Duration
    let refundOrphanAfter: Duration
    let interval: Duration
    let readiness: ReadinessGate
    let logger: Logger
    static let batch = 50

    public init(
        processor: MarketplaceEventProcessor,
        orderStuckAfter: Duration,
        refundStuckAfter: Duration,
        refundOrphanAfter: Duration,
        interval: Duration,
        readiness: ReadinessGate,
        logger: Logger
    ) {
        self.processor = processor
        self.orderStuckAfter = orderStuckAfter
        self.refundStuckAfter = refundStuckAfter
        self.refundOrphanAfter = refundOrphanAfter
        self.interval = interval
        self.readiness = readiness
        self.logger = logger
    }

    /// What one pass did.
    public struct Report: Sendable, Equatable {
        public var orders = 0
        public var refunds = 0
        public var orphans = 0
        /// Rows that moved.
        public var applied = 0
        /// Rows left for the next pass (provider or database errors).
        public var failed = 0

        public var examined: Int { self.orders + self.refunds + self.orphans }
    }

    static func cutoff(_ now: Date, _ age: Duration) -> Date {
        now.addingTimeInterval(-age.seconds)
    }

    /// One pass (also `veza reconcile`).
    public func reconcileOnce(now: Date = Date()) async throws -> Report {
        var report = Report()
        guard let provider = self.processor.provider else { return report }
        let orders = try await self.processor.orders.orders(
            status: .pending,
            createdBefore: Self.cutoff(now, self.orderStuckAfter),
            limit: Self.batch
        )
        for order in orders {
            report.orders += 1
            // The payment's id is the order's id, so one lost before it was stored is still found.
            let paymentID = order.paymentID ?? order.id.lowercased
            do {
                let outcome: MarketplaceEventProcessor.Outcome
                do {
                    let payment = try await provider.retrievePayment(id: paymentID)
                    if order.paymentID == nil {
                        try await self.processor.orders.setPaymentID(order.id, paymentID: payment.id, now: now)
                    }
                    outcome = try await self.processor.applyPayment(orderID: order.id, payment: payment, now: now)
                } catch is MarketplaceProviderNotFound where order.paymentID == nil {
                    self.logger.error(
                        "order without a payment at the provider; it failed",
                        metadata: ["order.id": "\(order.id.lowercased)"]
                    )
                    try await self.processor.failUnpaid(orderID: order.id, now: now)
                    outcome = .applied
                }
                if outcome == .applied { report.applied += 1 }
            } catch {
                report.failed += 1
                self.warn("order", order.id, error)
            }
        }
        let stuck = try await self.processor.refunds.pending(
            createdBefore: Self.cutoff(now, self.refundStuckAfter),
            withProviderID: true,
            limit: Self.batch
        )
        for refund in stuck {
            report.refunds += 1
            do {
                let answer = try await provider.retrieveRefund(id: refund.providerRefundID ?? refund.id.lowercased)
                let outcome = try await self.processor.applyRefund(
                    refundID: refund.id,
                    outcome: answer.outcome,
                    now: now
                )
                if outcome == .applied { report.applied += 1 }
            } catch {
                report.failed += 1
                self.warn("refund", refund.id, error)
            }
        }
        let orphans = try await self.processor.refunds.pending(
            createdBefore: Self.cutoff(now, self.refundOrphanAfter),
            withProviderID: false,
            limit: Self.batch
        )
        for refund in orphans {
            report.orphans += 1
            do {
                let outcome: ProviderOutcome
                do {
                    let answer = try await provider.retrieveRefund(id: refund.id.lowercased)
                    try await self.processor.refunds.setProviderRefundID(
                        refund.id,
                        providerRefundID: answer.id,
                        now: now
                    )
                    outcome = answer.outcome
                } catch is MarketplaceProviderNotFound {
                    self.logger.error(
                        "orphan refund never reached the provider; it failed and the order is completed again",
                        metadata: ["refund.id": "\(refund.id.lowercased)", "order.id": "\(refund.orderID.lowercased)"]
                    )
                    outcome = .failed
                }
                if try await self.processor.applyRefund(refundID: refund.id, outcome: outcome, now: now) == .applied {
                    report.applied += 1
                }
            } catch {
                report.failed += 1
                self.warn("refund", refund.id, error)
            }
        }
        return report
    }

    func warn(_ what: String, _ id: UUID, _ error: any Error) {
        self.logger.warning(
            "marketplace reconciliation of a row failed; it is retried next pass",
            metadata: [
                "reconcile.kind": "\(what)", "reconcile.row_id": "\(id.lowercased)", "error.message": "\(error)",
            ]
        )
    }

    public func run() async throws {
        let loop = PeriodicLoop(
            interval: self.interval,
            readiness: self.readiness,
            logger: self.logger,
            failureMessage: "marketplace reconciliation failed"
        )
        await loop.run {
            let report = try await self.reconcileOnce()
            if report.examined > 0 {
                self.logger.info(
                    "marketplace reconciled",
                    metadata: [
                        "reconcile.examined": "\(report.examined)", "reconcile.applied": "\(report.applied)",
                        "reconcile.failed": "\(report.failed)",
                    ]
                )
            }
        }
    }
}
