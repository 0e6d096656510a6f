import Foundation

/// Where the database lives, parsed from `DATABASE_URL`.
///
/// An empty value means the embedded default: a SQLite file in the data directory.
public enum DatabaseLocation: Sendable, Equatable {
    /// A SQLite database file.
    case sqlite(path: String)
    /// A PostgreSQL server.
    case postgres(PostgresLocation)

    /// Parses `DATABASE_URL`.
    ///
    /// - Parameters:
    ///   - url: The value of `DATABASE_URL`, or `nil` for the embedded default.
    ///   - dataDirectory: The data directory that holds the default SQLite file.
    /// - Throws: ``DatabaseError/invalidURL(_:)`` naming what is wrong.
    public static func parse(_ url: String?, dataDirectory: String) throws -> DatabaseLocation {
        guard let url, !url.isEmpty else {
            return .sqlite(path: (dataDirectory as NSString).appendingPathComponent("veza.sqlite"))
        }
        if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard !path.isEmpty else {
                throw DatabaseError.invalidURL(
                    "DATABASE_URL: sqlite:// needs a file path, e.g. sqlite:///var/lib/veza/veza.sqlite"
                )
            }
            return .sqlite(path: path)
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return .postgres(try PostgresLocation(url: url))
        }
        throw DatabaseError.invalidURL(
            "DATABASE_URL: expected postgres://user:password@host:port/database or sqlite:///path, got '\(url.prefix(40))'"
        )
    }
}

/// The parts of a `postgres://` URL.
public struct PostgresLocation: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// `sslmode` from the query string: `disable`, `prefer` (default) or `require`.
    public var tlsMode: String

    init(url: String) throws {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw DatabaseError.invalidURL(
                "DATABASE_URL: cannot parse '\(Self.redacted(url))' as postgres://user:password@host:port/database"
            )
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw DatabaseError.invalidURL("DATABASE_URL: port \(port) is out of range")
        }
        if url.contains("@"), components.port == nil, url.split(separator: "@").last?.contains(":") == true,
            !host.hasPrefix("[")
        {
            throw DatabaseError.invalidURL("DATABASE_URL: the port is not a number")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? "postgres"
        self.password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? self.username : path
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        guard ["disable", "prefer", "require"].contains(mode) else {
            throw DatabaseError.invalidURL("DATABASE_URL: sslmode must be disable, prefer or require, got '\(mode)'")
        }
        self.tlsMode = mode
    }

    /// The URL without its password, for logs and error messages.
    public var redactedDescription: String {
        "postgres://\(self.username)@\(self.host):\(self.port)/\(self.database)"
    }

    private static func redacted(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@"), let scheme = url.range(of: "://") else { return url }
        return String(url[..<scheme.upperBound]) + "…" + String(url[at...])
    }
}
