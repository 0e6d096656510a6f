import ArgumentParser
import Foundation
import StreamServer

struct Reconcile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one payment reconciliation pass and exit (for operators during an incident).",
        discussion: """
            Pending invoices older than RECONCILE_PENDING_AFTER are read back from the payment provider \
            and applied as the webhook would have (at most 50 per pass); invoices whose payment request \
            never reached the provider are requested again. Provider errors leave the invoice for the \
            next pass. Then the marketplace: pending orders older than RECONCILE_ORDER_STUCK_AFTER and \
            pending refunds older than RECONCILE_REFUND_STUCK_AFTER are read back and applied; refunds \
            that never reached the provider (older than RECONCILE_REFUND_ORPHAN_AFTER) fail and their \
            orders are completed again. Safe to run beside `veza serve` and `veza worker`.
            """
    )

    func run() async throws {
        let configuration = CommandSupport.configuration()
        let components = await CommandSupport.components(configuration)
        do {
            let summary = try await components.database.withRunning {
                try await components.migrate()
                return try await components.reconcilePaymentsOnce()
            }
            await components.shutdownWithoutRunning()
            print(summary)
        } catch {
            await components.shutdownWithoutRunning()
            CommandSupport.fail(error)
        }
    }
}
