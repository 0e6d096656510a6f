import Foundation

/// A local stand-in for Hyperswitch's merchant API (v1), speaking its wire format (see
/// /work/shared/PAYMENTS.md §1): `POST /payments`, `GET /payments/{id}`, `POST /refunds`,
/// `GET /refunds/{id}`, the `api-key` check, `HE_01` on a duplicate `payment_id`/`refund_id`,
/// `HE_02` for an unknown id, and signed outgoing webhooks (``webhook(forPayment:eventType:eventID:)``).
///
/// Beyond Hyperswitch it replays a repeated `Idempotency-Key` (same method, path and parameters)
/// with the first answer, and refuses the same key with other parameters (400, code
/// ``idempotencyReuseCode``): Hyperswitch's own handling of an inbound key is undocumented, so the
/// fake does what Stripe's idempotency layer does. Every request is recorded; failures and status
/// changes can be scripted.
public final class FakeHyperswitch: FakeProvider, @unchecked Sendable {
    /// The code of the fake's answer to a reused `Idempotency-Key` with other parameters.
    public static let idempotencyReuseCode = "idempotency_key_reused"

    /// A payment as the fake stores it.
    public struct Payment: Sendable, Equatable {
        public var id: String
        public var amount: Int64
        public var currency: String
        public var status: String
        public var customerID: String?
        public var metadata: [String: String]
        public var clientSecret: String
        public var created: Date
        /// Minor units refunded by succeeded and pending refunds.
        public var refunded: Int64 = 0
    }

    /// A refund as the fake stores it.
    public struct Refund: Sendable, Equatable {
        public var id: String
        public var paymentID: String
        public var amount: Int64
        public var currency: String
        public var status: String
        public var reason: String?
        public var metadata: [String: String]
        public var created: Date
    }

    struct State {
        var payments: [String: Payment] = [:]
        var refunds: [String: Refund] = [:]
        var idempotency: [String: (fingerprint: String, response: FakeHTTPResponse)] = [:]
        var requests: [FakeHTTPRequest] = []
        var failuresLeft = 0
        var failureStatus = 500
        var confirmedStatus = "succeeded"
        var newRefundStatus = "pending"
        var sequence = 0

        mutating func nextID(_ prefix: String) -> String {
            self.sequence += 1
            return prefix + String(self.sequence) + "_" + UUID().uuidString.prefix(8).lowercased()
        }
    }

    public let apiKey: String
    /// The business profile's payment_response_hash_key: what webhooks are signed with.
    public let webhookSecret: String
    public let merchantID: String
    private let lock = NSLock()
    private var state = State()
    private var server: FakeHTTPServer?

    private init(apiKey: String, webhookSecret: String, merchantID: String) {
        self.apiKey = apiKey
        self.webhookSecret = webhookSecret
        self.merchantID = merchantID
    }

    /// Starts a fake on a free loopback port.
    public static func start(
        apiKey: String = "snd_test_api_key",
        webhookSecret: String = "test_payment_response_hash_key",
        merchantID: String = "merchant_veza_test"
    ) async throws -> FakeHyperswitch {
        let fake = FakeHyperswitch(apiKey: apiKey, webhookSecret: webhookSecret, merchantID: merchantID)
        fake.server = try await FakeHTTPServer.start { [weak fake] request in
            guard let fake else { return FakeHTTPResponse(status: 503) }
            return fake.handle(request)
        }
        return fake
    }

    /// A fake with the default keys, for ``FakeProvider/with(_:)``.
    public static func started() async throws -> FakeHyperswitch { try await Self.start() }

    /// `http://127.0.0.1:<port>`: the value for `HYPERSWITCH_URL`.
    public var url: URL { self.server!.url }

    public func shutdown() async { await self.server?.shutdown() }

    func withState<T>(_ body: (inout State) -> T) -> T { self.lock.withLock { body(&self.state) } }

    // MARK: - What tests look at and script

    /// Every request received, in order (also refused ones).
    public var requests: [FakeHTTPRequest] { self.withState { $0.requests } }

    public var payments: [Payment] { self.withState { Array($0.payments.values) } }
    public func payment(_ id: String) -> Payment? { self.withState { $0.payments[id] } }
    public var refunds: [Refund] { self.withState { Array($0.refunds.values) } }
    public func refund(_ id: String) -> Refund? { self.withState { $0.refunds[id] } }

    /// The next `count` requests (after the api-key check) answer `status` with Hyperswitch's
    /// internal-error body and change nothing.
    public func failNext(_ count: Int, status: Int = 500) {
        self.withState {
            $0.failuresLeft = count
            $0.failureStatus = status
        }
    }

    /// Moves a payment to `status` (as if the customer paid, or the payment failed).
    public func setPaymentStatus(_ id: String, _ status: String) {
        self.withState { $0.payments[id]?.status = status }
    }

    /// Changes what the payment reports it charged (a payment the customer's client altered, or
    /// one made for something else).
    public func setPaymentAmount(_ id: String, amount: Int64, currency: String) {
        self.withState {
            $0.payments[id]?.amount = amount
            $0.payments[id]?.currency = currency
        }
    }

    /// Moves a refund to `status`; a failed refund gives its amount back to the payment (it
    /// moved no money), so the payment can be refunded again.
    public func setRefundStatus(_ id: String, _ status: String) {
        self.withState { state in
            guard let refund = state.refunds[id] else { return }
            if status == "failed", refund.status != "failed" {
                state.payments[refund.paymentID]?.refunded -= refund.amount
            } else if refund.status == "failed", status != "failed" {
                state.payments[refund.paymentID]?.refunded += refund.amount
            }
            state.refunds[id]?.status = status
        }
    }

    /// The status of payments created with `confirm: true` (default `succeeded`).
    public func setConfirmedPaymentStatus(_ status: String) { self.withState { $0.confirmedStatus = status } }

    /// The status new refunds start in (default `pending`, as most connectors answer).
    public func setNewRefundStatus(_ status: String) { self.withState { $0.newRefundStatus = status } }

    // MARK: - Routing

    func handle(_ request: FakeHTTPRequest) -> FakeHTTPResponse {
        self.withState { state in
            state.requests.append(request)
            guard request.header("api-key") == self.apiKey else {
                return Self.error(401, "invalid_request", "IR_01", "API key not provided or invalid API key used")
            }
            if state.failuresLeft > 0 {
                state.failuresLeft -= 1
                return Self.error(state.failureStatus, "api", "HE_00", "Something went wrong")
            }
            let segments = request.segments
            switch (request.method, segments.count, segments.first) {
            case ("POST", 1, "payments"):
                return Self.idempotent(request, state: &state) { self.createPayment(request, state: &$0) }
            case ("GET", 2, "payments"):
                guard let payment = state.payments[segments[1]] else {
                    return Self.error(404, "invalid_request", "HE_02", "Payment does not exist in our records")
                }
                return .json(200, self.render(payment).bytes)
            case ("POST", 1, "refunds"):
                return Self.idempotent(request, state: &state) { self.createRefund(request, state: &$0) }
            case ("GET", 2, "refunds"):
                guard let refund = state.refunds[segments[1]] else {
                    return Self.error(404, "invalid_request", "HE_02", "Refund does not exist in our records")
                }
                return .json(200, self.render(refund).bytes)
            default:
                return Self.error(404, "invalid_request", "IR_02", "Unrecognized request URL")
            }
        }
    }

    /// Replays the answer to an earlier request with the same `Idempotency-Key`, or runs `body`
    /// and keeps its answer (not a 5xx: a retry after a server error must be able to succeed).
    private static func idempotent(
        _ request: FakeHTTPRequest,
        state: inout State,
        _ body: (inout State) -> FakeHTTPResponse
    ) -> FakeHTTPResponse {
        guard let key = request.header("Idempotency-Key"), !key.isEmpty else { return body(&state) }
        let fingerprint = request.method + " " + request.path + " " + Self.canonical(request.body)
        if let saved = state.idempotency[key] {
            guard saved.fingerprint == fingerprint else {
                return Self.error(
                    400,
                    "invalid_request",
                    Self.idempotencyReuseCode,
                    "Keys for idempotent requests can only be used with the same parameters they were first used with."
                )
            }
            var replay = saved.response
            replay.headers.append(("Idempotent-Replayed", "true"))
            return replay
        }
        let response = body(&state)
        if response.status < 500 { state.idempotency[key] = (fingerprint, response) }
        return response
    }

    /// The body's parameters, independent of key order and spacing.
    static func canonical(_ body: [UInt8]) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)),
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        else { return String(decoding: body, as: UTF8.self) }
        return String(decoding: data, as: UTF8.self)
    }

    /// Hyperswitch's error body, `{"error":{"type","message","code"}}`.
    static func error(_ status: Int, _ type: String, _ code: String, _ message: String) -> FakeHTTPResponse {
        let body = OrderedJSON.object([
            ("error", .object([("type", .string(type)), ("message", .string(message)), ("code", .string(code))]))
        ])
        return .json(status, body.bytes)
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
