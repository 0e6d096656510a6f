import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Payments
import Subscription

/// Who else may own a payment event: the marketplace (orders, refunds) plugs in here.
protocol MarketplaceWebhookHook: Sendable {
    /// Handles the event if it is the marketplace's; `false` when it is not.
    func handle(_ event: HyperswitchEvent) async throws -> Bool
}

/// No marketplace yet: nothing is its.
struct NoMarketplaceHook: MarketplaceWebhookHook {
    func handle(_ event: HyperswitchEvent) async throws -> Bool { false }
}

/// `POST /api/v1/webhooks/hyperswitch`, the one payment webhook of the product.
///
/// The signature is checked on the raw bytes before anything is parsed (bad or missing → 401,
/// nothing changed); then the subscription processor gets the event, then the marketplace.
/// Unknown objects answer 200 (recorded once, so the provider stops retrying); a failure to read
/// the payment back or to write answers 503, and the provider redelivers.
struct HyperswitchWebhookController: Sendable {
    /// `HYPERSWITCH_WEBHOOK_SECRET`; nil when Hyperswitch is not configured.
    let secret: String?
    let subscriptions: PaymentEventProcessor
    let events: WebhookEventLog
    var marketplace: any MarketplaceWebhookHook = NoMarketplaceHook()
    let logger: Logger
    static let bodyLimit = 1024 * 1024
    static let signatureField = HTTPField.Name(HyperswitchWebhook.signatureHeader)!

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.post("webhooks/hyperswitch") { request, _ in try await self.receive(request) }
        return routes
    }

    func receive(_ request: Request) async throws -> Response {
        guard let secret = self.secret else {
            throw APIError(
                .serviceUnavailable,
                code: "payment_provider_unavailable",
                message: "no payment provider is configured"
            )
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.bodyLimit)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, code: "payload_too_large", message: "webhook bodies are at most 1 MiB")
        }
        let bytes = Array(body.readableBytesView)
        guard
            HyperswitchWebhook.verify(
                body: bytes,
                signatureHeader: request.headers[Self.signatureField],
                secret: secret
            )
        else {
            throw APIError(
                .unauthorized,
                code: "invalid_signature",
                message: "\(HyperswitchWebhook.signatureHeader) does not match the body"
            )
        }
        let event: HyperswitchEvent
        do {
            event = try HyperswitchEvent.decode(bytes)
        } catch {
            throw APIError.badRequest("the body is not a Hyperswitch webhook event", code: "invalid_json")
        }
        do {
            try await self.dispatch(event)
        } catch {
            self.logger.warning(
                "webhook not processed; the provider will redeliver",
                metadata: ["webhook.event_id": "\(event.eventID)", "error.message": "\(error)"]
            )
            throw APIError(
                .serviceUnavailable,
                code: "webhook_retry",
                message: "the event could not be processed now; deliver it again"
            )
        }
        return try jsonResponse(["received": true])
    }

    func dispatch(_ event: HyperswitchEvent) async throws {
        if event.kind == .payment {
            let outcome = try await self.subscriptions.process(
                eventID: event.eventID,
                eventType: event.eventType,
                paymentID: event.paymentID
            )
            if outcome != .notMine { return }
        }
        if try await self.marketplace.handle(event) { return }
        // Nobody's: recorded once so a redelivery is a no-op, answered 200 so no retry storm.
        _ = try await self.events.record(
            eventID: event.eventID,
            eventType: event.eventType,
            objectID: event.refundID ?? event.paymentID,
            handledBy: "unmatched",
            now: Date()
        )
        self.logger.info(
            "webhook for an unknown object",
            metadata: ["webhook.event_id": "\(event.eventID)", "webhook.event_type": "\(event.eventType)"]
        )
    }
}
