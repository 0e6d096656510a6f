@preconcurrency import AsyncKit
import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLiteKit

/// Opens SQLite connections with the settings the server relies on.
///
/// sqlite-kit sets neither WAL nor a busy timeout. Without WAL readers block the writer; without
/// `busy_timeout` sqlite-nio's own busy handler spins forever on a locked database.
struct TunedSQLiteSource: ConnectionPoolSource {
    let path: String
    let threadPool: NIOThreadPool
    let registry = SQLiteConnectionRegistry()

    /// `busy_timeout` comes first: switching a fresh file to WAL needs an exclusive lock, and
    /// without a timeout a connection opening beside another one (four migrators at start-up)
    /// gets `SQLITE_BUSY` at once instead of waiting. 30 s, as long as a request waits for a pooled
    /// connection: SQLite's busy handler does not queue waiters fairly, so with several writers a
    /// waiter can lose the lock to others again and again; 10 s was missed on a loaded two-core
    /// machine, and a write refused with `SQLITE_BUSY` is an accepted request lost.
    static let pragmas = [
        "PRAGMA busy_timeout = 30000",
        "PRAGMA journal_mode = WAL",
        "PRAGMA foreign_keys = ON",
        // WAL + NORMAL is durable across process crashes; only an OS crash can lose the last commits.
        "PRAGMA synchronous = NORMAL",
    ]

    func makeConnection(logger: Logger, on eventLoop: any EventLoop) -> EventLoopFuture<SQLiteConnection> {
        self.registry.willOpen()
        return SQLiteConnection.open(
            storage: .file(path: self.path),
            threadPool: self.threadPool,
            logger: logger,
            on: eventLoop
        )
        .flatMap { connection in
            var ready = eventLoop.makeSucceededVoidFuture()
            for pragma in Self.pragmas {
                ready = ready.flatMap { connection.query(pragma).map { _ in } }
            }
            return ready.map { connection }.flatMapError { error in
                connection.close().flatMapThrowing { throw error }
            }
        }
        .always { self.registry.didOpen(try? $0.get()) }
    }
}

/// Every connection the pool opened, so shutdown can wait until the pool has closed them all
/// before it stops the thread pool their `close()` runs on. A connection still opening when the
/// pool shuts down is closed by the pool once it arrives; stopping the threads first would leave
/// its handle open (a debug build asserts on it).
final class SQLiteConnectionRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var connections: [SQLiteConnection] = []
    private var opening = 0

    func willOpen() {
        self.lock.withLock { self.opening += 1 }
    }

    func didOpen(_ connection: SQLiteConnection?) {
        self.lock.withLock {
            self.opening -= 1
            if let connection { self.connections.append(connection) }
        }
    }

    /// Whether no connection is opening and every opened one is closed.
    var isQuiet: Bool {
        self.lock.withLock { self.opening == 0 && self.connections.allSatisfy(\.isClosed) }
    }
}

/// A `SQLiteDatabase` over a connection pool, so that SQLKit's `withSession` pins one pooled connection.
struct SQLitePoolDatabase: SQLiteDatabase {
    let pool: EventLoopConnectionPool<TunedSQLiteSource>
    let logger: Logger

    var eventLoop: any EventLoop { self.pool.eventLoop }

    func query(
        _ query: String,
        _ binds: [SQLiteData],
        logger: Logger,
        _ onRow: @escaping @Sendable (SQLiteRow) -> Void
    ) -> EventLoopFuture<Void> {
        self.pool.withConnection(logger: logger) { $0.query(query, binds, logger: logger, onRow) }
    }

    func query(
        _ query: String,
        _ binds: [SQLiteData],
        _ onRow: @escaping @Sendable (SQLiteRow) -> Void
    ) async throws {
        try await self.query(query, binds, logger: self.logger, onRow).get()
    }

    func withConnection<T>(
        _ closure: @escaping @Sendable (SQLiteConnection) -> EventLoopFuture<T>
    ) -> EventLoopFuture<T> {
        self.pool.withConnection(logger: self.logger, closure)
    }

    func withConnection<T>(_ closure: @escaping @Sendable (SQLiteConnection) async throws -> T) async throws -> T {
        let connection = try await self.pool.requestConnection(logger: self.logger).get()
        defer { self.pool.releaseConnection(connection, logger: self.logger) }
        return try await closure(connection)
    }
}
