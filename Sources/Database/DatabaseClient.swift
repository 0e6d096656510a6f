@preconcurrency import AsyncKit
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresKit
import PostgresNIO
import SQLKit
import SQLiteKit
import ServiceLifecycle

/// The application's database: SQLite (embedded default) or PostgreSQL, behind one SQLKit code path.
///
/// It is a `Service`: add it first to the `ServiceGroup` so it stops last. Outside a service group
/// (CLI commands, tests) use ``withRunning(_:)``.
public final class DatabaseClient: Service, Sendable {
    /// Which engine is behind ``sql``; a few statements differ (locks, `BEGIN IMMEDIATE`, column types).
    public enum Kind: String, Sendable {
        case sqlite
        case postgres
    }

    private enum Backend: Sendable {
        case sqlite(pool: EventLoopConnectionPool<TunedSQLiteSource>, threadPool: NIOThreadPool)
        case postgres(client: PostgresClient, location: PostgresLocation)
    }

    /// The engine.
    public let kind: Kind
    /// Runs statements on a pooled connection. For several statements that must share a connection
    /// use ``transaction(_:)``.
    public let sql: any SQLDatabase
    /// Where the database is, without secrets: for logs and `/health/deep`.
    public let displayLocation: String
    private let backend: Backend
    private let logger: Logger

    /// Creates the client; no connection is opened until the first statement.
    ///
    /// - Parameters:
    ///   - location: Parsed `DATABASE_URL`.
    ///   - logger: Logger for the pool's background messages.
    public init(location: DatabaseLocation, logger: Logger) throws {
        self.logger = logger
        switch location {
        case .sqlite(let path):
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            // SQLite gets its own threads: a write waiting on busy_timeout blocks a thread, and with
            // NIO's two-thread singleton pool the lock holder could starve (see INFRA.md).
            let connections = 4
            let threadPool = NIOThreadPool(numberOfThreads: connections)
            threadPool.start()
            let pool = EventLoopConnectionPool(
                source: TunedSQLiteSource(path: path, threadPool: threadPool),
                maxConnections: connections,
                requestTimeout: .seconds(30),
                logger: logger,
                on: MultiThreadedEventLoopGroup.singleton.any()
            )
            self.kind = .sqlite
            self.sql = SQLitePoolDatabase(pool: pool, logger: logger).sql(queryLogLevel: .trace)
            self.backend = .sqlite(pool: pool, threadPool: threadPool)
            self.displayLocation = "sqlite:\(path)"
        case .postgres(let location):
            let tls: PostgresClient.Configuration.TLS
            switch location.tlsMode {
            case "disable": tls = .disable
            case "require": tls = .require(.makeClientConfiguration())
            default: tls = .prefer(.makeClientConfiguration())
            }
            var configuration = PostgresClient.Configuration(
                host: location.host,
                port: location.port,
                username: location.username,
                password: location.password,
                database: location.database,
                tls: tls
            )
            configuration.options.connectTimeout = .seconds(5)
            configuration.options.maximumConnections = 16
            let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
            self.kind = .postgres
            self.sql = PostgresClientDatabase(
                client: client,
                logger: logger,
                eventLoop: PostgresClient.defaultEventLoopGroup.any()
            )
            self.backend = .postgres(client: client, location: location)
            self.displayLocation = location.redactedDescription
        }
    }

    /// Runs the pool until graceful shutdown, then closes every connection.
    public func run() async throws {
        switch self.backend {
        case .postgres(let client, _):
            await client.run()
        case .sqlite(let pool, let threadPool):
            try? await gracefulShutdown()
            try? await pool.close().get()
            // Connections released or opened after the close are closed by the pool, on the
            // thread pool: wait for them (bounded) before stopping its threads.
            for _ in 0..<250 where !pool.source.registry.isQuiet {
                try? await Task.sleep(for: .milliseconds(20))
            }
            try? await threadPool.shutdownGracefully()
        }
    }

    /// Runs `body` with the pool running, for work outside a `ServiceGroup` (CLI commands, tests).
    @discardableResult
    public func withRunning<R: Sendable>(_ body: @Sendable () async throws -> R) async throws -> R {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run() }
            do {
                let result = try await body()
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    /// Fails fast, with the server's own words, when the database cannot be reached.
    ///
    /// `PostgresClient` retries connecting in the background; at start-up an operator wants
    /// "connection refused" now rather than a hang, so this opens one direct connection.
    public func checkReachable() async throws {
        switch self.backend {
        case .sqlite:
            do {
                try await self.ping()
            } catch {
                throw DatabaseError.unreachable("cannot open SQLite database \(self.displayLocation): \(error)")
            }
        case .postgres(_, let location):
            var configuration = PostgresConnection.Configuration(
                host: location.host,
                port: location.port,
                username: location.username,
                password: location.password,
                database: location.database,
                tls: location.tlsMode == "require"
                    ? .require(try .init(configuration: .makeClientConfiguration())) : .disable
            )
            configuration.options.connectTimeout = .seconds(5)
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: configuration,
                    id: 0,
                    logger: self.logger
                )
                try await connection.close()
            } catch {
                throw DatabaseError.unreachable(
                    "cannot connect to PostgreSQL at \(location.redactedDescription): \(Self.describe(error))"
                )
            }
        }
    }

    /// Runs a trivial query; used by `/health/deep`.
    public func ping() async throws {
        try await self.sql.raw("SELECT 1").run()
    }

    static func describe(_ error: any Error) -> String {
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] { return message }
            if let underlying = psql.underlying { return String(describing: underlying) }
            return String(reflecting: psql.code)
        }
        return String(describing: error)
    }
}
