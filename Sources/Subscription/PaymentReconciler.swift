import Database
import Foundation
import Logging
import ServiceLifecycle

/// Finishes checkouts whose webhook never came: pending invoices older than `pendingAfter` are
/// read back from the provider and applied as a synthetic event through the same
/// ``PaymentEventProcessor``; an invoice whose payment request never reached the provider gets it.
/// A provider error leaves the invoice for the next pass.
public struct PaymentReconciler: Service {
    let invoices: InvoiceRepository
    let processor: PaymentEventProcessor
    let service: SubscriptionService
    let pendingAfter: Duration
    let interval: Duration
    let readiness: ReadinessGate
    let logger: Logger
    /// At most this many invoices per pass, so one pass stays short.
    static let batch = 50

    public init(
        service: SubscriptionService,
        processor: PaymentEventProcessor,
        pendingAfter: Duration,
        interval: Duration,
        readiness: ReadinessGate,
        logger: Logger
    ) {
        self.invoices = service.invoices
        self.service = service
        self.processor = processor
        self.pendingAfter = pendingAfter
        self.interval = interval
        self.readiness = readiness
        self.logger = logger
    }

    /// What one pass did.
    public struct Report: Sendable, Equatable {
        public var examined = 0
        public var applied = 0
        public var requested = 0
        public var failed = 0
    }

    /// One pass (also `veza reconcile`).
    public func reconcileOnce(now: Date = Date()) async throws -> Report {
        var report = Report()
        guard let provider = self.processor.provider else { return report }
        let before = now.addingTimeInterval(-Double(self.pendingAfter.components.seconds))
        for invoice in try await self.invoices.stalePending(before: before, limit: Self.batch) {
            report.examined += 1
            do {
                if invoice.requestedAt == nil {
                    _ = try await self.service.requestPayment(for: invoice, subscriptionID: invoice.subscriptionID)
                    report.requested += 1
                    continue
                }
                let payment = try await provider.retrievePayment(id: invoice.paymentID)
                guard payment.outcome != .pending else { continue }
                let outcome = try await self.processor.apply(
                    eventID: "reconcile:\(payment.id):\(payment.status)",
                    eventType: payment.outcome == .succeeded ? "payment_succeeded" : "payment_failed",
                    payment: payment
                )
                if outcome == .applied { report.applied += 1 }
            } catch {
                report.failed += 1
                self.logger.warning(
                    "reconciliation of an invoice failed; it is retried next pass",
                    metadata: [
                        "invoice.id": "\(invoice.id.uuidString.lowercased())", "payment.id": "\(invoice.paymentID)",
                        "error.message": "\(error)",
                    ]
                )
            }
        }
        return report
    }

    public func run() async throws {
        let loop = PeriodicLoop(
            interval: self.interval,
            readiness: self.readiness,
            logger: self.logger,
            failureMessage: "payment reconciliation failed"
        )
        await loop.run {
            let report = try await self.reconcileOnce()
            if report.examined > 0 {
                self.logger.info(
                    "payments reconciled",
                    metadata: [
                        "reconcile.examined": "\(report.examined)", "reconcile.applied": "\(report.applied)",
                        "reconcile.requested": "\(report.requested)", "reconcile.failed": "\(report.failed)",
                    ]
                )
            }
        }
    }
}
