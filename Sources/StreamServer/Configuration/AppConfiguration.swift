import Database
import Foundation

/// Everything `veza` reads from its environment and flags, validated once at start-up.
///
/// A bad value never falls back silently to a default: it stops the process with a line naming
/// the variable (see ``ConfigurationError``).
public struct AppConfiguration: Sendable {
    /// Which object store holds tracks and renditions.
    public enum StorageBackend: String, Sendable, CaseIterable {
        case local
        case s3
    }

    /// S3-compatible store settings (`S3_*`).
    public struct S3: Sendable, Equatable {
        public var endpoint: String
        public var region: String
        public var bucket: String
        public var accessKeyID: String
        public var secretAccessKey: String
    }

    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    /// `VEZA_DATA_DIR`: SQLite file, local objects, upload spool, generated secrets.
    public var dataDirectory: String = "./data"
    /// `DATABASE_URL`, parsed.
    public var database: DatabaseLocation
    /// `TRACK_STORAGE_BACKEND`.
    public var storageBackend: StorageBackend = .local
    /// Set when `storageBackend == .s3`.
    public var s3: S3?
    /// `MAX_UPLOAD_AUDIO_MB`, in bytes.
    public var maxUploadBytes: Int64 = 100 * 1024 * 1024
    /// `MAX_SPOOL_MB_PER_USER`, in bytes: one user's unfinished uploads in the spool (default twice
    /// ``maxUploadBytes``).
    public var maxSpoolBytesPerUser: Int64 { self.maxSpoolBytesPerUserSetting ?? 2 * self.maxUploadBytes }
    private var maxSpoolBytesPerUserSetting: Int64?
    /// `HLS_LADDER_KBPS`.
    public var hlsLadderKbps: [Int] = [64, 128, 256]
    /// `HLS_SEGMENT_SECONDS`.
    public var hlsSegmentSeconds: Int = 6
    /// `MAX_TRACK_SECONDS`: the longest audio a track may hold, and each transcode's wall-clock limit.
    public var maxTrackSeconds: Int = 4 * 3600
    /// `TRANSCODE_WORKERS`: in-process workers of `veza serve`.
    public var transcodeWorkers: Int = 1
    /// `JWT_SECRET`; `nil` means a generated secret kept in the data directory.
    public var jwtSecret: String?
    /// `STREAM_URL_TTL`.
    public var streamURLTTL: Duration = .seconds(15 * 60)
    /// `DOWNLOAD_URL_TTL`.
    public var downloadURLTTL: Duration = .seconds(30 * 60)
    /// `LOG_LEVEL`.
    public var logLevel: String = "info"
    /// `JOB_LEASE_SECONDS`: how long a claimed job stays with a silent worker before another takes it.
    public var jobLeaseSeconds: Int = 60
    /// `CORS_ALLOW_ORIGIN`: the origin browser players load from (`*` by default).
    public var corsAllowOrigin: String = "*"
    /// `HYPERSWITCH_*` and `STRIPE_*`: the payment providers, when configured.
    public var payments = PaymentSettings()
    /// `RECONCILE_*`, `SUBSCRIPTION_*`.
    public var subscription: SubscriptionSettings
    /// `TRANSFER_*`, `REVERSAL_*`: seller payouts.
    public var payouts = PayoutSettings()
    /// `PLATFORM_FEE_PERCENT`, `REFUND_WINDOW`, `RECONCILE_ORDER_*`, `RECONCILE_REFUND_*`.
    public var marketplace = MarketplaceSettings()
    /// `SHARE_MAX_TTL`: the longest lifetime a share link may be given.
    public var shareMaxTTL: Duration = .seconds(30 * 86400)
    /// `HEALTH_DETAILS`: who sees the details of `/health/deep`.
    public var healthDetails: HealthDetails = .admin
    /// `HTTP_HEADER_TIMEOUT` and `HTTP_IDLE_TIMEOUT`: how long a connection may wait.
    public var connectionTimeouts = ConnectionTimeouts()
    /// `VEZA_DEV_LOGIN=1`: `POST /api/v1/dev/token` mints a token for any typed user id (the web
    /// app's development sign-in). Off by default; never for a server others can reach.
    public var devLogin = false

    /// Reads and validates the configuration.
    ///
    /// - Parameter environment: The process environment (injected so tests need not mutate it).
    public init(environment: [String: String]) throws {
        let env = Environment(values: environment)
        self.subscription = try SubscriptionSettings(env: env)
        if let dir = env["VEZA_DATA_DIR"] { self.dataDirectory = dir }
        do {
            self.database = try DatabaseLocation.parse(env["DATABASE_URL"], dataDirectory: self.dataDirectory)
        } catch let error as DatabaseError {
            throw ConfigurationError(error.message)
        }
        if let backend = env["TRACK_STORAGE_BACKEND"] {
            guard let value = StorageBackend(rawValue: backend.lowercased()) else {
                throw ConfigurationError.invalid("TRACK_STORAGE_BACKEND", backend, expected: "local or s3")
            }
            self.storageBackend = value
        }
        if self.storageBackend == .s3 {
            self.s3 = try Self.s3(from: env)
        }
        if let raw = env["MAX_UPLOAD_AUDIO_MB"] {
            let mb = try env.integer(
                "MAX_UPLOAD_AUDIO_MB",
                raw,
                in: 1...1_048_576,
                expected: "a whole number of MiB, 1 to 1048576"
            )
            self.maxUploadBytes = Int64(mb) * 1024 * 1024
        }
        if let raw = env["MAX_SPOOL_MB_PER_USER"] {
            let mb = try env.integer(
                "MAX_SPOOL_MB_PER_USER",
                raw,
                in: 1...1_048_576,
                expected: "a whole number of MiB, 1 to 1048576"
            )
            self.maxSpoolBytesPerUserSetting = Int64(mb) * 1024 * 1024
        }
        if let raw = env["HLS_LADDER_KBPS"] {
            self.hlsLadderKbps = try Self.ladder(raw)
        }
        if let raw = env["HLS_SEGMENT_SECONDS"] {
            self.hlsSegmentSeconds = try env.integer(
                "HLS_SEGMENT_SECONDS",
                raw,
                in: 1...30,
                expected: "seconds, 1 to 30"
            )
        }
        if let raw = env["MAX_TRACK_SECONDS"] {
            self.maxTrackSeconds = try env.integer(
                "MAX_TRACK_SECONDS",
                raw,
                in: 1...86_400,
                expected: "seconds, 1 to 86400"
            )
        }
        if let raw = env["TRANSCODE_WORKERS"] {
            self.transcodeWorkers = try env.integer("TRANSCODE_WORKERS", raw, in: 0...64, expected: "a count, 0 to 64")
        }
        if let secret = environment["JWT_SECRET"] {
            guard secret.utf8.count >= JWTSecret.minimumBytes else {
                throw ConfigurationError.invalid(
                    "JWT_SECRET",
                    "(hidden)",
                    expected: "at least 32 bytes (e.g. `openssl rand -hex 32`)"
                )
            }
            self.jwtSecret = secret
        }
        if let raw = env["STREAM_URL_TTL"] {
            self.streamURLTTL = try Self.duration("STREAM_URL_TTL", raw)
        }
        if let raw = env["DOWNLOAD_URL_TTL"] {
            self.downloadURLTTL = try Self.duration("DOWNLOAD_URL_TTL", raw)
        }
        if let raw = env["JOB_LEASE_SECONDS"] {
            self.jobLeaseSeconds = try env.integer(
                "JOB_LEASE_SECONDS",
                raw,
                in: 3...3600,
                expected: "seconds, 3 to 3600"
            )
        }
        if let origin = env["CORS_ALLOW_ORIGIN"] {
            guard origin == "*" || URL(string: origin)?.scheme != nil, !origin.contains(where: \.isWhitespace) else {
                throw ConfigurationError.invalid(
                    "CORS_ALLOW_ORIGIN",
                    origin,
                    expected: "* or an origin such as https://app.example.com"
                )
            }
            self.corsAllowOrigin = origin
        }
        self.payments = try PaymentSettings(env)
        self.payouts = try PayoutSettings(env: env)
        self.marketplace = try MarketplaceSettings(env: env)
        if let raw = env["VEZA_DEV_LOGIN"] {
            switch raw.lowercased() {
            case "1", "true": self.devLogin = true
            case "0", "false", "": self.devLogin = false
            default: throw ConfigurationError.invalid("VEZA_DEV_LOGIN", raw, expected: "1 or 0")
            }
        }
        if let raw = env["LOG_LEVEL"] {
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(raw.lowercased()) else {
                throw ConfigurationError.invalid("LOG_LEVEL", raw, expected: levels.joined(separator: ", "))
            }
            self.logLevel = raw.lowercased()
        }
        try self.readHTTPSettings(env)
    }

    /// Applies `--host`/`--port` flags over the environment.
    public mutating func override(host: String?, port: Int?) throws {
        if let host {
            guard !host.isEmpty, !host.contains(where: \.isWhitespace) else {
                throw ConfigurationError.invalid("--host", host, expected: "an address such as 127.0.0.1 or 0.0.0.0")
            }
            self.host = host
        }
        if let port {
            guard (0...65535).contains(port) else {
                throw ConfigurationError.invalid("--port", String(port), expected: "a TCP port, 0 to 65535")
            }
            self.port = port
        }
    }

    static func s3(from env: Environment) throws -> S3 {
        let reason = "when TRACK_STORAGE_BACKEND=s3"
        guard let endpoint = env["S3_ENDPOINT"] else {
            throw ConfigurationError.missing("S3_ENDPOINT", because: reason)
        }
        guard let url = URL(string: endpoint), let scheme = url.scheme, ["http", "https"].contains(scheme),
            url.host != nil
        else {
            throw ConfigurationError.invalid(
                "S3_ENDPOINT",
                endpoint,
                expected: "an http(s) URL such as https://s3.us-east-1.amazonaws.com"
            )
        }
        guard let bucket = env["S3_BUCKET"] else { throw ConfigurationError.missing("S3_BUCKET", because: reason) }
        guard Self.isValidBucketName(bucket) else {
            throw ConfigurationError.invalid(
                "S3_BUCKET",
                bucket,
                expected: "3-63 lowercase letters, digits, '.' or '-'"
            )
        }
        guard let key = env["S3_ACCESS_KEY_ID"] else {
            throw ConfigurationError.missing("S3_ACCESS_KEY_ID", because: reason)
        }
        guard let secret = env["S3_SECRET_ACCESS_KEY"] else {
            throw ConfigurationError.missing("S3_SECRET_ACCESS_KEY", because: reason)
        }
        let region = env["S3_REGION"] ?? "us-east-1"
        guard !region.isEmpty, region.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw ConfigurationError.invalid("S3_REGION", region, expected: "a region name such as us-east-1")
        }
        return S3(endpoint: endpoint, region: region, bucket: bucket, accessKeyID: key, secretAccessKey: secret)
    }

    static func isValidBucketName(_ name: String) -> Bool {
        (3...63).contains(name.count)
            && name.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "." || $0 == "-" }
            && (name.first.map { $0.isLetter || $0.isNumber } ?? false)
    }

    static func ladder(_ raw: String) throws -> [Int] {
        let expected = "a comma-separated list of AAC bit rates in kb/s, each 16 to 512, e.g. 64,128,256"
        let parts = raw.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        var rates: [Int] = []
        for part in parts {
            guard let value = Int(part), (16...512).contains(value) else {
                throw ConfigurationError.invalid("HLS_LADDER_KBPS", raw, expected: expected)
            }
            rates.append(value)
        }
        guard !rates.isEmpty, Set(rates).count == rates.count else {
            throw ConfigurationError.invalid("HLS_LADDER_KBPS", raw, expected: expected + ", without repeats")
        }
        return rates.sorted()
    }

    /// Parses `900`, `900s`, `15m`, `1h`, `7d`. Presigned S3 URLs live at most 7 days, the default
    /// `maximum`.
    static func duration(_ name: String, _ raw: String, maximum: Int64 = 604_800) throws -> Duration {
        let expected = "a duration such as 900, 90s, 15m or 1h, from 1s to \(Self.durationText(seconds: maximum))"
        let trimmed = raw.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var digits = Substring(trimmed)
        var multiplier: Int64 = 1
        if let last = trimmed.last, let unit = units[last] {
            digits = trimmed.dropLast()
            multiplier = unit
        }
        guard let value = Int64(digits), value > 0, value <= maximum / multiplier else {
            throw ConfigurationError.invalid(name, raw, expected: expected)
        }
        return .seconds(value * multiplier)
    }
}

/// Environment lookup where an empty value counts as unset.
struct Environment {
    let values: [String: String]

    subscript(name: String) -> String? {
        guard let value = self.values[name], !value.isEmpty else { return nil }
        return value
    }

    func integer(_ name: String, _ raw: String, in range: ClosedRange<Int>, expected: String) throws -> Int {
        guard let value = Int(raw.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw ConfigurationError.invalid(name, raw, expected: expected)
        }
        return value
    }
}
