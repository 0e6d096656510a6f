import SQLKit

extension DatabaseClient {
    /// Runs `body` in a transaction on one pinned connection: committed when it returns,
    /// rolled back when it throws.
    ///
    /// On SQLite the transaction starts with `BEGIN IMMEDIATE`, taking the write lock up front:
    /// a deferred `BEGIN` followed by a write fails with `SQLITE_BUSY` instead of waiting.
    public func transaction<R: Sendable>(
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> R
    ) async throws -> R {
        let begin = self.kind == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN"
        return try await self.sql.withSession { connection in
            try await connection.raw(SQLQueryString(begin)).run()
            let result: R
            do {
                result = try await body(connection)
            } catch {
                // A failed rollback must not hide the error that caused it; the connection
                // is then broken and the pool discards it.
                try? await connection.raw("ROLLBACK").run()
                throw error
            }
            do {
                try await connection.raw("COMMIT").run()
            } catch {
                try? await connection.raw("ROLLBACK").run()
                throw error
            }
            return result
        }
    }

    /// The SQL type for a column of a portable kind, per engine.
    ///
    /// UUIDs are native on PostgreSQL and uppercase TEXT on SQLite; timestamps are `TIMESTAMPTZ`
    /// (plain `TIMESTAMP` shifts with the session time zone) and REAL seconds on SQLite.
    public func columnType(_ type: PortableColumnType) -> String {
        switch (type, self.kind) {
        case (.uuid, .postgres): "UUID"
        case (.uuid, .sqlite): "TEXT"
        case (.timestamp, .postgres): "TIMESTAMPTZ"
        case (.timestamp, .sqlite): "REAL"
        case (.bigint, .postgres): "BIGINT"
        case (.bigint, .sqlite): "INTEGER"
        case (.double, .postgres): "DOUBLE PRECISION"
        case (.double, .sqlite): "REAL"
        }
    }
}

/// Column kinds whose SQL type differs between SQLite and PostgreSQL.
public enum PortableColumnType: String, Sendable, CaseIterable {
    case uuid
    case timestamp
    case bigint
    case double
}
