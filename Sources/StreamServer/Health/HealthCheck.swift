import Foundation

/// One dependency `/health/deep` reports on.
protocol HealthCheck: Sendable {
    /// The key in the report, e.g. `database`.
    var name: String { get }
    /// Checks the dependency; never throws: failures are part of the report.
    func check() async -> HealthReport
}

/// The state of one dependency, with details an operator can act on.
struct HealthReport: Sendable, Encodable {
    var ok: Bool
    var details: [String: String]

    static func healthy(_ details: [String: String] = [:]) -> HealthReport { .init(ok: true, details: details) }
    static func unhealthy(_ error: String, _ details: [String: String] = [:]) -> HealthReport {
        var details = details
        details["error"] = error
        return .init(ok: false, details: details)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: DynamicKey.self)
        try container.encode(self.ok ? "ok" : "failing", forKey: DynamicKey("status"))
        for (key, value) in self.details.sorted(by: { $0.key < $1.key }) {
            try container.encode(value, forKey: DynamicKey(key))
        }
    }
}

struct DynamicKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { self.stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Times a check, so a slow dependency shows before it fails.
func measured(_ body: () async throws -> [String: String]) async -> HealthReport {
    let clock = ContinuousClock()
    let start = clock.now
    do {
        var details = try await body()
        let elapsed = clock.now - start
        details["latency_ms"] = String(
            format: "%.1f",
            Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        )
        return .healthy(details)
    } catch {
        return .unhealthy(String(describing: error))
    }
}
