/// The settings of the HTTP edge: share links, `/health/deep` details, connection timeouts.
extension AppConfiguration {
    /// Who may read the details (versions, hosts, paths) of `/health/deep`.
    public enum HealthDetails: String, Sendable, CaseIterable {
        /// Only callers with an admin bearer token; everyone else gets status only.
        case admin
        /// Everyone (for a node only reachable from an internal network).
        case `public`
    }

    /// How long a connection may keep the server waiting.
    public struct ConnectionTimeouts: Sendable, Equatable {
        /// `HTTP_HEADER_TIMEOUT`: from the first byte of a request head until the head is complete.
        public var header: Duration = .seconds(10)
        /// `HTTP_IDLE_TIMEOUT`: how long a connection with no request in progress may stay open
        /// (before its first request, or between keep-alive requests).
        public var idle: Duration = .seconds(60)
    }

    /// The longest `SHARE_MAX_TTL` accepted: a year.
    static let shareMaxTTLLimit: Int64 = 365 * 86400

    mutating func readHTTPSettings(_ env: Environment) throws {
        if let raw = env["SHARE_MAX_TTL"] {
            self.shareMaxTTL = try Self.duration("SHARE_MAX_TTL", raw, maximum: Self.shareMaxTTLLimit)
        }
        if let raw = env["HEALTH_DETAILS"] {
            guard let value = HealthDetails(rawValue: raw.lowercased()) else {
                throw ConfigurationError.invalid("HEALTH_DETAILS", raw, expected: "admin or public")
            }
            self.healthDetails = value
        }
        if let raw = env["HTTP_HEADER_TIMEOUT"] {
            self.connectionTimeouts.header = try Self.duration("HTTP_HEADER_TIMEOUT", raw, maximum: 3600)
        }
        if let raw = env["HTTP_IDLE_TIMEOUT"] {
            self.connectionTimeouts.idle = try Self.duration("HTTP_IDLE_TIMEOUT", raw, maximum: 86400)
        }
    }

    /// `3600` → `1h`, for messages.
    static func durationText(seconds: Int64) -> String {
        for (unit, size) in [("d", Int64(86400)), ("h", 3600), ("m", 60)] where seconds % size == 0 {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }
}
