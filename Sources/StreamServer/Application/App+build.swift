import Catalog
import Database
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// The composition root: turns a validated configuration into the running parts.
///
/// Everything long-lived is created here and handed to the parts that use it; nothing below this
/// file reads the environment.
public struct VezaComponents: Sendable {
    public let configuration: AppConfiguration
    public let database: DatabaseClient
    public let jobs: JobQueue
    public let tracks: TrackRepository
    public let tokens: AccessTokens
    public let logger: Logger

    /// Every migration, in order. New modules append theirs here.
    public static let migrations: [Migration] = CoreMigrations.all + CatalogMigrations.all

    /// Builds the components; nothing is started yet.
    public init(configuration: AppConfiguration, logger: Logger) async throws {
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        self.configuration = configuration
        self.logger = logger
        self.database = try DatabaseClient(location: configuration.database, logger: logger)
        self.jobs = JobQueue(database: self.database)
        self.tracks = TrackRepository(database: self.database)
        self.tokens = try await AccessTokens(configuration: configuration, logger: logger)
    }

    /// Applies pending migrations.
    ///
    /// - Returns: The ids of the migrations applied now.
    @discardableResult
    public func migrate() async throws -> [String] {
        try await Migrator(database: self.database, migrations: Self.migrations, logger: self.logger).migrate()
    }

    /// The background workers `veza serve` runs in-process and `veza worker` runs alone.
    ///
    /// Job handlers register here as the modules that own them land (transcode: issue 5); a queue
    /// without a handler gets no worker, so its jobs wait rather than fail.
    public func workers(count: Int) -> [any Service] {
        let handlers: [any JobHandler] = []
        return handlers.flatMap { handler in
            (0..<count).map { _ in JobWorker(queue: self.jobs, handler: handler, logger: self.logger) as any Service }
        }
    }
}

/// Builds the HTTP application with its database and in-process workers as services.
///
/// - Parameter components: From ``VezaComponents/init(configuration:logger:)``.
/// - Returns: An application to `runService()` (or to test with HummingbirdTesting).
public func buildApplication(_ components: VezaComponents) -> some ApplicationProtocol {
    let configuration = components.configuration
    let router = buildRouter(components)
    var app = Application(
        router: router,
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "veza"
        ),
        services: [components.database] + components.workers(count: configuration.transcodeWorkers),
        logger: components.logger
    )
    app.beforeServerStarts {
        try await components.migrate()
    }
    return app
}

/// The routes and middleware, outermost first.
func buildRouter(_ components: VezaComponents) -> Router<AppRequestContext> {
    let registry = MetricsBootstrap.registry
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: LogRequestsMiddleware(.info))
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: JSONErrorMiddleware())
    router.add(middleware: BearerAuthMiddleware(tokens: components.tokens))

    router.addRoutes(
        HealthController(checks: [
            DatabaseHealthCheck(database: components.database),
            DataDirectoryHealthCheck(directory: components.configuration.dataDirectory),
            FFmpegHealthCheck(),
        ]).endpoints
    )
    router.addRoutes(MetricsController(registry: registry).endpoints)
    router.addRoutes(IdentityController().endpoints, atPath: "api/v1")
    return router
}
