import AsyncHTTPClient
import Foundation
import Logging
import Retry

/// A client of Stripe Connect's transfers API (v1): pay sellers out, reverse payouts.
///
/// Authentication is the secret key as a Bearer token; bodies are form-encoded. Every POST carries
/// an explicit `Idempotency-Key`: Stripe saves the first answer for a key (for at least 24 hours)
/// and replays it, so repeating a call with the same key never moves money twice.
///
/// Retries (``RetryPolicy/paymentProvider`` by default): GETs after transport failures, 5xx and
/// 429. POSTs after transport failures (the answer may have been lost; the key makes the repeat
/// safe), 429 and 409 (the same key still in flight), but not after a 5xx: Stripe saved that 5xx
/// under the key and would only replay it; the caller's next attempt, later, decides.
public struct StripeConnectClient: Sendable {
    private let transport: ProviderTransport

    /// Creates a client; nothing is sent yet.
    ///
    /// - Parameters:
    ///   - baseURL: `https://api.stripe.com` (or a local fake).
    ///   - secretKey: `sk_…`, sent as `Authorization: Bearer`; never logged.
    ///   - httpClient: The shared client (its lifetime is the caller's).
    ///   - logger: For retries.
    ///   - retry: Retries within this policy (see above for which failures).
    ///   - timeout: For each attempt.
    public init(
        baseURL: URL,
        secretKey: String,
        httpClient: HTTPClient,
        logger: Logger,
        retry: RetryPolicy = .paymentProvider,
        timeout: Duration = .seconds(30)
    ) {
        self.transport = ProviderTransport(
            baseURL: baseURL,
            httpClient: httpClient,
            logger: logger,
            retry: retry,
            timeout: timeout,
            fixedHeaders: [("authorization", "Bearer " + secretKey), ("accept", "application/json")]
        )
    }

    /// Sends money from the platform balance to a connected account (`POST /v1/transfers`).
    ///
    /// - Parameters:
    ///   - amountMinor: In minor units.
    ///   - currency: ISO 4217; sent lowercase.
    ///   - destination: The seller's connected account, `acct_…`.
    ///   - transferGroup: Groups the transfer with its order (`transfer_group`).
    ///   - metadata: Sent as `metadata[key]`.
    ///   - idempotencyKey: Sent as `Idempotency-Key`; must not be empty.
    /// - Throws: ``StripeError``.
    public func createTransfer(
        amountMinor: Int64,
        currency: String,
        destination: String,
        transferGroup: String? = nil,
        metadata: [String: String] = [:],
        idempotencyKey: String
    ) async throws -> StripeTransfer {
        var form = [("amount", String(amountMinor)), ("currency", currency.lowercased()), ("destination", destination)]
        if let transferGroup { form.append(("transfer_group", transferGroup)) }
        form += FormEncoding.metadata(metadata)
        return try await self.post("create_transfer", path: "/v1/transfers", form: form, idempotencyKey: idempotencyKey)
    }

    /// Reverses a transfer, wholly or in part (`POST /v1/transfers/{id}/reversals`).
    ///
    /// - Parameters:
    ///   - id: The transfer, `tr_…`.
    ///   - amountMinor: In minor units; `nil` reverses what is left of the transfer.
    ///   - idempotencyKey: Sent as `Idempotency-Key`; must not be empty.
    /// - Throws: ``StripeError``: ``StripeError/alreadyReversed`` when nothing is left to reverse,
    ///   ``StripeError/resourceMissing`` when there is no such transfer.
    public func reverseTransfer(
        id: String,
        amountMinor: Int64? = nil,
        idempotencyKey: String
    ) async throws -> StripeTransferReversal {
        var form: [(String, String)] = []
        if let amountMinor { form.append(("amount", String(amountMinor))) }
        return try await self.post(
            "reverse_transfer",
            path: "/v1/transfers/" + encodePathSegment(id) + "/reversals",
            form: form,
            idempotencyKey: idempotencyKey
        )
    }

    /// Reads a transfer (`GET /v1/transfers/{id}`).
    ///
    /// - Throws: ``StripeError``; ``StripeError/resourceMissing`` when there is no such transfer.
    public func retrieveTransfer(id: String) async throws -> StripeTransfer {
        try await self.send(
            ProviderCall(
                name: "retrieve_transfer",
                method: .GET,
                path: "/v1/transfers/" + encodePathSegment(id),
                retry: RetryScope(transportFailures: true, serverErrors: true, statuses: [429])
            )
        )
    }

    private func post<Answer: Decodable>(
        _ call: String,
        path: String,
        form: [(String, String)],
        idempotencyKey: String
    ) async throws -> Answer {
        guard !idempotencyKey.isEmpty else {
            throw StripeError.missingIdempotencyKey.with(message: "\(call) needs a non-empty idempotency key.")
        }
        return try await self.send(
            ProviderCall(
                name: call,
                method: .POST,
                path: path,
                headers: [("content-type", "application/x-www-form-urlencoded"), ("Idempotency-Key", idempotencyKey)],
                body: FormEncoding.encode(form),
                retry: RetryScope(transportFailures: true, serverErrors: false, statuses: [409, 429])
            )
        )
    }

    private func send<Answer: Decodable>(_ call: ProviderCall) async throws -> Answer {
        let response: ProviderResponse
        do {
            response = try await self.transport.send(call)
        } catch let failure as ProviderTransportFailure {
            throw StripeError.transport.with(message: failure.description, code: failure.kind)
        }
        guard response.isSuccess else { throw StripeError.from(response, call: call.name) }
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(response.body.readableBytesView))
        } catch {
            throw StripeError.invalidResponse.with(
                message: "\(call.name): HTTP \(response.status) with a body that is not what Stripe sends (\(error)).",
                httpStatus: response.status
            )
        }
    }
}
