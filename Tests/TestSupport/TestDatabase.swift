import Database
import Foundation
import Logging
import SQLKit

/// The database engines every database-touching test runs against.
public enum DatabaseEngine: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    public var description: String { self.rawValue }
}

/// Why a test could not get its backend: says how to provide it.
public struct TestEnvironmentError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Fresh, isolated databases for tests: a temporary SQLite file, or a new PostgreSQL database
/// created on the server named by `VEZA_TEST_POSTGRES_URL` (started by `scripts/test.sh`) and
/// dropped afterwards.
public enum TestDatabase {
    public static let logger: Logger = {
        var logger = Logger(label: "veza-test")
        // Quiet by default: tests provoke failures on purpose. VEZA_TEST_LOG_LEVEL=debug to see them.
        let level = ProcessInfo.processInfo.environment["VEZA_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        logger.logLevel = level ?? .critical
        return logger
    }()

    /// The PostgreSQL server for tests, or an error telling how to start one.
    public static func postgresURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["VEZA_TEST_POSTGRES_URL"], !url.isEmpty else {
            throw TestEnvironmentError(
                "VEZA_TEST_POSTGRES_URL is not set: run the suite with scripts/test.sh, which starts PostgreSQL 15"
            )
        }
        return url
    }

    /// Runs `body` with a migrated, empty database of `engine`, removed afterwards.
    public static func with<R: Sendable>(
        _ engine: DatabaseEngine,
        migrations: [Migration],
        _ body: @Sendable (DatabaseClient) async throws -> R
    ) async throws -> R {
        switch engine {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "veza-test-\(UUID().uuidString)"
            )
            defer { try? FileManager.default.removeItem(at: directory) }
            let database = try DatabaseClient(
                location: .sqlite(path: directory.appendingPathComponent("test.sqlite").path),
                logger: self.logger
            )
            return try await database.withRunning {
                try await Migrator(database: database, migrations: migrations, logger: self.logger).migrate()
                return try await body(database)
            }
        case .postgres:
            let (location, drop) = try await self.createPostgresDatabase()
            do {
                let database = try DatabaseClient(location: location, logger: self.logger)
                let result = try await database.withRunning {
                    try await Migrator(database: database, migrations: migrations, logger: self.logger).migrate()
                    return try await body(database)
                }
                try await drop()
                return result
            } catch {
                try? await drop()
                throw error
            }
        }
    }

    /// Creates a uniquely named database; returns its location and a function that drops it.
    public static func createPostgresDatabase() async throws -> (DatabaseLocation, @Sendable () async throws -> Void) {
        let url = try self.postgresURL()
        guard case .postgres(var location) = try DatabaseLocation.parse(url, dataDirectory: "/nonexistent") else {
            throw TestEnvironmentError("VEZA_TEST_POSTGRES_URL is not a postgres:// URL")
        }
        let name = "veza_t_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        try await self.administer(url, "CREATE DATABASE \(name)")
        location.database = name
        return (.postgres(location), { try await self.administer(url, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") })
    }

    /// The `DATABASE_URL` of a test database, for a `veza` process or an `AppConfiguration`.
    public static func url(for location: PostgresLocation) -> String {
        "postgres://\(location.username)@\(location.host):\(location.port)/\(location.database)?sslmode=disable"
    }

    /// Runs one statement on the server's maintenance database. A `PostgresClient` runs once, so
    /// each statement gets its own.
    static func administer(_ url: String, _ statement: String) async throws {
        let admin = try DatabaseClient(
            location: try DatabaseLocation.parse(url, dataDirectory: "/nonexistent"),
            logger: self.logger
        )
        try await admin.withRunning {
            try await admin.sql.raw(SQLQueryString(statement)).run()
        }
    }
}
