import Logging
import NIOCore
import PostgresKit
import PostgresNIO
import SQLKit

/// An `SQLDatabase` over PostgresNIO's `PostgresClient` pool.
///
/// Each statement leases a connection; `withSession` keeps one connection for the whole closure,
/// which is what transactions need.
struct PostgresClientDatabase: SQLDatabase {
    let client: PostgresClient
    let logger: Logger
    let eventLoop: any EventLoop

    var dialect: any SQLDialect { PostgresDialect() }
    var queryLogLevel: Logger.Level? { .trace }

    func execute(
        sql query: any SQLExpression,
        _ onRow: @escaping @Sendable (any SQLRow) -> Void
    ) -> EventLoopFuture<Void> {
        self.eventLoop.makeFutureWithTask { try await self.execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try await self.client.withConnection { connection in
            try await connection.sql(queryLogLevel: .trace, logger: self.logger).execute(sql: query, onRow)
        }
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        let box: UncheckedBox<R> = try await self.client.withConnection { connection in
            UncheckedBox(try await closure(connection.sql(queryLogLevel: .trace, logger: self.logger)))
        }
        return box.value
    }
}

/// Carries a result out of `PostgresClient.withConnection`, whose result must be `sending`;
/// the value is created inside and only read by the caller afterwards.
private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
