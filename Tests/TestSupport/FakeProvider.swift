/// What the payment-provider fakes (``FakeHyperswitch``, ``FakeStripe``) have in common.
public protocol FakeProvider: AnyObject, Sendable {
    /// Starts a fake with its default keys on a free loopback port.
    static func started() async throws -> Self
    /// Stops it and closes its connections.
    func shutdown() async
    /// Every request received, in order (also refused ones).
    var requests: [FakeHTTPRequest] { get }
}

extension FakeProvider {
    /// Runs `body` with a started fake and shuts it down afterwards, also on failure.
    public static func with<T>(_ body: (Self) async throws -> T) async throws -> T {
        let fake = try await Self.started()
        do {
            let result = try await body(fake)
            await fake.shutdown()
            return result
        } catch {
            await fake.shutdown()
            throw error
        }
    }

    /// The requests with this method and path.
    public func requests(_ method: String, _ path: String) -> [FakeHTTPRequest] {
        self.requests.filter { $0.method == method && $0.path == path }
    }
}
