import Foundation

/// A local stand-in for Stripe Connect's transfers API (v1), speaking its wire format (see
/// /work/shared/PAYMENTS.md §2): Bearer (or Basic) secret-key auth, form-encoded bodies with
/// `metadata[key]`, `POST /v1/transfers`, `GET /v1/transfers/{id}`,
/// `POST /v1/transfers/{id}/reversals`, `tr_`/`trr_` ids, 404 `resource_missing`, 400 "… is already
/// fully reversed.", and the idempotency layer: a key's first answer is replayed
/// (`Idempotent-Replayed: true`), the same key with other parameters is 400 `idempotency_error`.
/// Every request is recorded; failures and the platform balance can be scripted.
public final class FakeStripe: FakeProvider, @unchecked Sendable {
    /// A transfer as the fake stores it.
    public struct Transfer: Sendable, Equatable {
        public var id: String
        public var amount: Int64
        public var amountReversed: Int64
        public var currency: String
        public var destination: String
        public var transferGroup: String?
        public var metadata: [String: String]
        public var reversalIDs: [String]
        public var created: Int64
        public var reversed: Bool { self.amountReversed >= self.amount }
    }

    /// A reversal as the fake stores it.
    public struct Reversal: Sendable, Equatable {
        public var id: String
        public var transferID: String
        public var amount: Int64
        public var currency: String
        public var metadata: [String: String]
        public var created: Int64
    }

    /// The endpoints failures can be scripted for.
    public enum Endpoint: Sendable, Hashable, CaseIterable {
        /// `POST /v1/transfers`.
        case createTransfer
        /// `POST /v1/transfers/{id}/reversals`.
        case reverseTransfer
        /// `GET /v1/transfers/{id}`.
        case retrieveTransfer
    }

    /// Failures scripted for one endpoint (or for every endpoint: `nil`).
    struct ScriptedFailure {
        var left: Int
        var status: Int
        var saved: Bool
    }

    struct State {
        var transfers: [String: Transfer] = [:]
        var reversals: [String: Reversal] = [:]
        var idempotency: [String: (fingerprint: String, response: FakeHTTPResponse)] = [:]
        var requests: [FakeHTTPRequest] = []
        /// Keyed by endpoint; `nil` is "any endpoint" (``failNext(_:status:savedUnderIdempotencyKey:)``).
        var failures: [Endpoint?: ScriptedFailure] = [:]
        /// How many times each key's request was executed by its endpoint (not replayed, not refused).
        var executions: [String: Int] = [:]
        /// `nil`: unlimited.
        var availableBalance: Int64?

        func newID(_ prefix: String) -> String {
            prefix + "1" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(23)
        }
    }

    public let secretKey: String
    private let lock = NSLock()
    private var state = State()
    private var server: FakeHTTPServer?

    private init(secretKey: String) {
        self.secretKey = secretKey
    }

    /// Starts a fake on a free loopback port.
    public static func start(secretKey: String = "sk_test_veza_fake") async throws -> FakeStripe {
        let fake = FakeStripe(secretKey: secretKey)
        fake.server = try await FakeHTTPServer.start { [weak fake] request in
            guard let fake else { return FakeHTTPResponse(status: 503) }
            return fake.handle(request)
        }
        return fake
    }

    /// A fake with the default keys, for ``FakeProvider/with(_:)``.
    public static func started() async throws -> FakeStripe { try await Self.start() }

    /// `http://127.0.0.1:<port>`: the value for `STRIPE_URL`.
    public var url: URL { self.server!.url }

    public func shutdown() async { await self.server?.shutdown() }

    func withState<T>(_ body: (inout State) -> T) -> T { self.lock.withLock { body(&self.state) } }

    // MARK: - What tests look at and script

    /// Every request received, in order (also refused ones).
    public var requests: [FakeHTTPRequest] { self.withState { $0.requests } }

    public var transfers: [Transfer] { self.withState { Array($0.transfers.values) } }
    public func transfer(_ id: String) -> Transfer? { self.withState { $0.transfers[id] } }
    public var reversals: [Reversal] { self.withState { Array($0.reversals.values) } }

    /// The next `count` authenticated requests answer `status` with an `api_error` and change
    /// nothing. With `savedUnderIdempotencyKey`, the failure is saved and replayed for its key, as
    /// Stripe does once an endpoint has begun executing.
    public func failNext(_ count: Int, status: Int = 500, savedUnderIdempotencyKey: Bool = false) {
        self.withState {
            $0.failures[nil] = ScriptedFailure(left: count, status: status, saved: savedUnderIdempotencyKey)
        }
    }

    /// Like ``failNext(_:status:savedUnderIdempotencyKey:)`` for one endpoint only; the others
    /// answer normally. A 5xx is an `api_error`, a 429 a `rate_limit` error.
    public func failNext(
        _ count: Int,
        of endpoint: Endpoint,
        status: Int = 500,
        savedUnderIdempotencyKey: Bool = false
    ) {
        self.withState {
            $0.failures[endpoint] = ScriptedFailure(left: count, status: status, saved: savedUnderIdempotencyKey)
        }
    }

    /// The requests that carried `Idempotency-Key: key`, in order (replays and refusals included).
    public func requests(withIdempotencyKey key: String) -> [FakeHTTPRequest] {
        self.requests.filter { $0.header("Idempotency-Key") == key }
    }

    /// How many times the request under `key` was executed by its endpoint: replays of a saved
    /// answer, scripted failures and refusals do not count. Exactly 1 for a payout done once.
    public func executions(ofIdempotencyKey key: String) -> Int { self.withState { $0.executions[key] ?? 0 } }

    /// Every key that was executed at least once, with its count.
    public var executionsByIdempotencyKey: [String: Int] { self.withState { $0.executions } }

    /// The platform balance transfers draw from (`nil`: unlimited).
    public func setAvailableBalance(_ amount: Int64?) { self.withState { $0.availableBalance = amount } }

    // MARK: - Routing

    func handle(_ request: FakeHTTPRequest) -> FakeHTTPResponse {
        self.withState { state in
            state.requests.append(request)
            if let refusal = self.authenticate(request) { return refusal }
            let form = FakeStripe.parseForm(request)
            let segments = request.segments
            let route: (inout State) -> FakeHTTPResponse
            let endpoint: Endpoint
            switch (request.method, segments.count, segments.first, segments.dropFirst().first) {
            case ("POST", 2, "v1", "transfers"):
                endpoint = .createTransfer
                route = { self.createTransfer(form, state: &$0) }
            case ("GET", 3, "v1", "transfers"):
                let id = segments[2]
                endpoint = .retrieveTransfer
                route = { state in
                    guard let transfer = state.transfers[id] else { return Self.noSuchTransfer(id) }
                    return .json(200, self.render(transfer, state: state).bytes)
                }
            case ("POST", 4, "v1", "transfers") where segments[3] == "reversals":
                let id = segments[2]
                endpoint = .reverseTransfer
                route = { self.reverseTransfer(id, form, state: &$0) }
            default:
                return Self.error(
                    404,
                    "invalid_request_error",
                    nil,
                    "Unrecognized request URL (\(request.method): \(request.path)).",
                    param: nil
                )
            }
            guard request.method == "POST", let key = request.header("Idempotency-Key"), !key.isEmpty else {
                return self.failure(endpoint, state: &state)?.response ?? route(&state)
            }
            let fingerprint = request.method + " " + request.path + " " + form.sorted { $0 < $1 }.description
            if let saved = state.idempotency[key] {
                guard saved.fingerprint == fingerprint else {
                    return Self.error(
                        400,
                        "idempotency_error",
                        nil,
                        "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '\(key)' if you meant to execute a different request.",
                        param: nil
                    )
                }
                var replay = saved.response
                replay.headers += [("Idempotent-Replayed", "true"), ("Idempotency-Key", key)]
                return replay
            }
            if let failure = self.failure(endpoint, state: &state) {
                if failure.saved { state.idempotency[key] = (fingerprint, failure.response) }
                return failure.response
            }
            var response = route(&state)
            // Validation failures are not saved: the endpoint never began executing.
            if response.status != 400 || Self.isBusinessError(response) {
                state.idempotency[key] = (fingerprint, response)
                state.executions[key, default: 0] += 1
            }
            response.headers.append(("Idempotency-Key", key))
            return response
        }
    }

    /// The next scripted failure for `endpoint` (its own script first, then the any-endpoint one).
    private func failure(_ endpoint: Endpoint, state: inout State) -> (response: FakeHTTPResponse, saved: Bool)? {
        for key in [endpoint, nil] as [Endpoint?] {
            guard var script = state.failures[key], script.left > 0 else { continue }
            script.left -= 1
            state.failures[key] = script
            let response =
                script.status == 429
                ? Self.error(
                    429,
                    "invalid_request_error",
                    "rate_limit",
                    "Too many requests hit the API too quickly (scripted by the test).",
                    param: nil
                )
                : Self.error(
                    script.status,
                    script.status >= 500 ? "api_error" : "invalid_request_error",
                    nil,
                    "An unknown error occurred (scripted by the test).",
                    param: nil
                )
            // Stripe does not save rate-limited requests: they never began executing.
            return (response, script.saved && script.status != 429)
        }
        return nil
    }

    private func authenticate(_ request: FakeHTTPRequest) -> FakeHTTPResponse? {
        let header = request.header("Authorization") ?? ""
        var presented: String?
        if header.hasPrefix("Bearer ") {
            presented = String(header.dropFirst("Bearer ".count))
        } else if header.hasPrefix("Basic "), let data = Data(base64Encoded: String(header.dropFirst(6))) {
            presented = String(decoding: data, as: UTF8.self).split(separator: ":").first.map(String.init)
        }
        guard let presented else {
            return Self.error(
                401,
                "invalid_request_error",
                nil,
                "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
                param: nil
            )
        }
        guard presented == self.secretKey else {
            return Self.error(
                401,
                "invalid_request_error",
                nil,
                "Invalid API Key provided: \(presented.prefix(8))****\(presented.suffix(4))",
                param: nil
            )
        }
        return nil
    }

    /// Stripe's error body, `{"error":{"code"?,"doc_url"?,"message","param"?,"type"}}`.
    static func error(
        _ status: Int,
        _ type: String,
        _ code: String?,
        _ message: String,
        param: String?
    )
        -> FakeHTTPResponse
    {
        var fields: [(String, OrderedJSON)] = []
        if let code {
            fields.append(("code", .string(code)))
            fields.append(
                (
                    "doc_url",
                    .string("https://stripe.com/docs/error-codes/" + code.replacingOccurrences(of: "_", with: "-"))
                )
            )
        }
        fields.append(("message", .string(message)))
        if let param { fields.append(("param", .string(param))) }
        fields.append(("type", .string(type)))
        return .json(status, OrderedJSON.object([("error", .object(fields))]).bytes)
    }

    static func noSuchTransfer(_ id: String) -> FakeHTTPResponse {
        Self.error(404, "invalid_request_error", "resource_missing", "No such transfer: '\(id)'", param: "id")
    }

    /// A 400 from the endpoint's own logic (saved under its key), not from parameter validation.
    static func isBusinessError(_ response: FakeHTTPResponse) -> Bool {
        let text = String(decoding: response.body, as: UTF8.self)
        return text.contains("already fully reversed") || text.contains("balance_insufficient")
    }
}
