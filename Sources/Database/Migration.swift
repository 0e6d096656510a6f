import Foundation
import Logging
import SQLKit

/// One step of the schema, identified by a stable id and applied once.
///
/// Statements may use `{uuid}`, `{timestamp}`, `{bigint}` and `{double}` for the column types that
/// differ between engines (see ``PortableColumnType``); everything else must be portable SQL.
public struct Migration: Sendable {
    /// Recorded in `schema_migrations`; never change it once released.
    public let id: String
    public let statements: [String]

    public init(id: String, statements: [String]) {
        self.id = id
        self.statements = statements
    }
}

/// Applies migrations in order, each recorded in `schema_migrations`, all in one transaction.
///
/// Safe to run twice and from two processes at once: on PostgreSQL a transaction-scoped advisory
/// lock serialises migrators; on SQLite `BEGIN IMMEDIATE` takes the single write lock.
public struct Migrator: Sendable {
    /// Arbitrary, fixed key for `pg_advisory_xact_lock`.
    static let advisoryLockKey: Int64 = 0x7665_7A61_6D69_67  // "vezamig"

    let database: DatabaseClient
    let migrations: [Migration]
    let logger: Logger

    public init(database: DatabaseClient, migrations: [Migration], logger: Logger) {
        precondition(Set(migrations.map(\.id)).count == migrations.count, "duplicate migration id")
        self.database = database
        self.migrations = migrations
        self.logger = logger
    }

    /// Applies the pending migrations.
    ///
    /// - Returns: The ids applied by this call (empty when the schema was up to date).
    @discardableResult
    public func migrate() async throws -> [String] {
        let database = self.database
        let migrations = self.migrations
        let timestamp = database.columnType(.timestamp)
        do {
            let applied = try await database.transaction { connection in
                if database.kind == .postgres {
                    try await connection.raw("SELECT pg_advisory_xact_lock(\(bind: Self.advisoryLockKey))").run()
                }
                try await connection.raw(
                    """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        id TEXT PRIMARY KEY,
                        applied_at \(unsafeRaw: timestamp) NOT NULL
                    )
                    """
                ).run()
                let done = Set(
                    try await connection.raw("SELECT id FROM schema_migrations").all().map {
                        try $0.decode(column: "id", as: String.self)
                    }
                )
                var applied: [String] = []
                for migration in migrations where !done.contains(migration.id) {
                    for statement in migration.statements {
                        try await connection.raw(SQLQueryString(database.expandColumnTypes(statement))).run()
                    }
                    try await connection.raw(
                        "INSERT INTO schema_migrations (id, applied_at) VALUES (\(bind: migration.id), \(bind: Date()))"
                    ).run()
                    applied.append(migration.id)
                }
                return applied
            }
            for id in applied {
                self.logger.info("migration applied", metadata: ["migration.id": "\(id)"])
            }
            return applied
        } catch let error as DatabaseError {
            throw error
        } catch {
            throw DatabaseError.migrationFailed(
                "migration failed on \(database.displayLocation): \(DatabaseClient.describe(error))"
            )
        }
    }
}

extension DatabaseClient {
    func expandColumnTypes(_ statement: String) -> String {
        var result = statement
        for type in PortableColumnType.allCases {
            result = result.replacingOccurrences(of: "{\(type.rawValue)}", with: self.columnType(type))
        }
        return result
    }
}
