import Catalog
import Foundation
import Logging
import Marketplace
import Payments
import Subscription

/// The marketplace's side of the Hyperswitch webhook: orders' payments and refunds.
///
/// A refund event already recorded in the event log is a redelivery: handled, nothing done
/// (payment events are checked there by the subscription processor first). Handled events are
/// recorded once, `handled_by = 'marketplace'`; the guarded updates are the real guard against a
/// concurrent duplicate.
struct MarketplaceWebhook: MarketplaceWebhookHook {
    let processor: MarketplaceEventProcessor
    let events: WebhookEventLog

    func handle(_ event: HyperswitchEvent) async throws -> Bool {
        let outcome: MarketplaceEventProcessor.Outcome
        switch event.kind {
        case .payment:
            outcome = try await self.processor.processPayment(paymentID: event.paymentID)
        case .refund:
            if try await self.events.contains(eventID: event.eventID) { return true }
            guard let refundID = event.refundID else { return false }
            outcome = try await self.processor.processRefund(refundID: refundID)
        case .other:
            return false
        }
        guard outcome != .notMine else { return false }
        _ = try await self.events.record(
            eventID: event.eventID,
            eventType: event.eventType,
            objectID: event.refundID ?? event.paymentID,
            handledBy: "marketplace",
            now: Date()
        )
        return true
    }
}

/// Marketplace licences as download entitlements: a live (not refunded) licence for the track.
struct LicenceEntitlements: TrackEntitlements {
    let grants: LicenceGrantRepository

    func mayDownload(track: Track, userID: UUID) async -> Bool {
        // A database error refuses: a download is never granted on a guess.
        (try? await self.grants.hasLiveLicence(trackID: track.id, userID: userID)) ?? false
    }
}
