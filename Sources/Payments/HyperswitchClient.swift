import AsyncHTTPClient
import Foundation
import Logging
import Retry

/// A client of Hyperswitch's merchant API (v1): payments and refunds.
///
/// Authentication is the secret key in the `api-key` header. Every create carries an explicit
/// `Idempotency-Key` and our own id (`payment_id`, `refund_id`): Hyperswitch answers a second
/// create with the same id `HE_01`, and the client then reads the existing object and returns it,
/// so a create may be repeated safely after a crash or a lost answer.
///
/// Retries: transport failures and 5xx answers are retried with ``RetryPolicy/paymentProvider``
/// (by default). GETs are idempotent. POSTs are too, for two reasons: each carries an
/// `Idempotency-Key`, and each carries our id, so a repeat of a create that did reach the provider
/// comes back as `HE_01` and ends in a GET of the object it made (Hyperswitch's handling of an
/// inbound `Idempotency-Key` is not documented; the merchant id is the guarantee that is).
/// 4xx answers are never retried.
public struct HyperswitchClient: Sendable {
    private let transport: ProviderTransport

    /// Creates a client; nothing is sent yet.
    ///
    /// - Parameters:
    ///   - baseURL: The API root, e.g. `https://sandbox.hyperswitch.io`.
    ///   - apiKey: The secret key (`snd_…`/`prd_…`), sent as `api-key`; never logged.
    ///   - httpClient: The shared client (its lifetime is the caller's).
    ///   - logger: For retries; no key, secret or body is logged.
    ///   - retry: Transport failures and 5xx answers are retried within this policy.
    ///   - timeout: For each attempt.
    public init(
        baseURL: URL,
        apiKey: String,
        httpClient: HTTPClient,
        logger: Logger,
        retry: RetryPolicy = .paymentProvider,
        timeout: Duration = .seconds(15)
    ) {
        self.transport = ProviderTransport(
            baseURL: baseURL,
            httpClient: httpClient,
            logger: logger,
            retry: retry,
            timeout: timeout,
            fixedHeaders: [("api-key", apiKey), ("accept", "application/json")]
        )
    }

    /// Creates a payment (`POST /payments`, `confirm: false`), or returns the one that already
    /// has `request.paymentID`.
    ///
    /// - Parameters:
    ///   - request: The payment; its `paymentID` is sent as `payment_id`.
    ///   - idempotencyKey: Sent as `Idempotency-Key`; must not be empty.
    /// - Returns: The payment with its `client_secret`.
    /// - Throws: ``HyperswitchError``: before any I/O for an empty key; with type `client` and code
    ///   `conflicting_duplicate` when an existing payment with that id has another amount or currency.
    public func createPayment(
        _ request: HyperswitchPaymentRequest,
        idempotencyKey: String
    ) async throws -> HyperswitchPayment {
        try await self.create(
            "create_payment",
            path: "/payments",
            body: request,
            idempotencyKey: idempotencyKey,
            existing: { try await self.retrievePayment(id: request.paymentID) },
            isSame: {
                $0.amountMinor == request.amountMinor && $0.currency.uppercased() == request.currency.uppercased()
            },
            conflict: "Payment \(request.paymentID) exists with another amount or currency."
        )
    }

    /// Reads a payment (`GET /payments/{id}`).
    ///
    /// - Throws: ``HyperswitchError``; `isNotFound` when there is no such payment.
    public func retrievePayment(id: String) async throws -> HyperswitchPayment {
        try await self.get("retrieve_payment", path: "/payments/" + encodePathSegment(id))
    }

    /// Creates a refund (`POST /refunds`), or returns the one that already has `request.refundID`.
    ///
    /// - Parameters:
    ///   - request: The refund; its `refundID` is sent as `refund_id`.
    ///   - idempotencyKey: Sent as `Idempotency-Key`; must not be empty.
    /// - Returns: The refund, usually still `pending`: its webhook is the authority on the outcome.
    /// - Throws: ``HyperswitchError``: before any I/O for an empty key; with code
    ///   `conflicting_duplicate` when an existing refund with that id is for another payment.
    public func createRefund(
        _ request: HyperswitchRefundRequest,
        idempotencyKey: String
    ) async throws -> HyperswitchRefund {
        try await self.create(
            "create_refund",
            path: "/refunds",
            body: request,
            idempotencyKey: idempotencyKey,
            existing: { try await self.retrieveRefund(id: request.refundID) },
            isSame: { $0.paymentID == request.paymentID && (request.amountMinor ?? $0.amountMinor) == $0.amountMinor },
            conflict: "Refund \(request.refundID) exists for another payment or amount."
        )
    }

    /// Reads a refund (`GET /refunds/{id}`).
    ///
    /// - Throws: ``HyperswitchError``; `isNotFound` when there is no such refund.
    public func retrieveRefund(id: String) async throws -> HyperswitchRefund {
        try await self.get("retrieve_refund", path: "/refunds/" + encodePathSegment(id))
    }

    // MARK: - Plumbing

    /// POSTs a create; on `HE_01` (our id exists already) reads the existing object and returns it
    /// when it is the same request's object, so that a repeated create is not a failure.
    private func create<Body: Encodable, Answer: Decodable>(
        _ call: String,
        path: String,
        body: Body,
        idempotencyKey: String,
        existing: () async throws -> Answer,
        isSame: (Answer) -> Bool,
        conflict: String
    ) async throws -> Answer {
        guard !idempotencyKey.isEmpty else { throw HyperswitchError.missingIdempotencyKey(call) }
        do {
            return try await self.post(call, path: path, body: body, idempotencyKey: idempotencyKey)
        } catch let error as HyperswitchError where error.isDuplicate {
            let object = try await existing()
            guard isSame(object) else {
                throw HyperswitchError(
                    type: "client",
                    code: "conflicting_duplicate",
                    message: conflict,
                    httpStatus: error.httpStatus
                )
            }
            return object
        }
    }

    private func post<Body: Encodable, Answer: Decodable>(
        _ call: String,
        path: String,
        body: Body,
        idempotencyKey: String
    ) async throws -> Answer {
        let encoded = try JSONEncoder().encode(body)
        return try await self.send(
            ProviderCall(
                name: call,
                method: .POST,
                path: path,
                headers: [("content-type", "application/json"), ("Idempotency-Key", idempotencyKey)],
                body: Array(encoded),
                retry: .transportFailuresAndServerErrors
            )
        )
    }

    private func get<Answer: Decodable>(_ call: String, path: String) async throws -> Answer {
        try await self.send(
            ProviderCall(name: call, method: .GET, path: path, retry: .transportFailuresAndServerErrors)
        )
    }

    private func send<Answer: Decodable>(_ call: ProviderCall) async throws -> Answer {
        let response: ProviderResponse
        do {
            response = try await self.transport.send(call)
        } catch let failure as ProviderTransportFailure {
            throw HyperswitchError.transport(failure)
        }
        guard response.isSuccess else { throw HyperswitchError.from(response, call: call.name) }
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(response.body.readableBytesView))
        } catch {
            throw HyperswitchError.invalidResponse(call.name, status: response.status, detail: "\(error)")
        }
    }
}
