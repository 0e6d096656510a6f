import Foundation
import Hummingbird
import Logging
import Marketplace
import ServiceLifecycle
import SignedURL
import Subscription

/// What a `veza` process runs.
public enum ProcessRole: Sendable, Equatable {
    /// `veza serve`: the HTTP API with `TRANSCODE_WORKERS` in-process workers.
    case serve
    /// `veza worker`: workers only, for scaling out next to `veza serve`.
    case worker(concurrency: Int)
}

/// The composition root: the one place that turns the configured parts into the services a
/// process runs, in start order (stopped in reverse), in one group stopped by SIGTERM or SIGINT.
///
/// - Parameters:
///   - components: From ``AppServices/init(configuration:logger:)``.
///   - role: `serve` runs the HTTP application (which holds the other services and migrates before
///     it listens); `worker` runs the database, the migrations, housekeeping and the job workers.
public func buildServiceGroup(_ components: AppServices, role: ProcessRole) -> ServiceGroup {
    let services: [any Service]
    switch role {
    case .serve:
        services = [buildApplication(components)]
    case .worker(let concurrency):
        services =
            components.baseServices + [MigrationService(components: components)] + components.backgroundServices
            + components.workers(count: concurrency)
    }
    return ServiceGroup(
        configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: components.logger
        )
    )
}

/// Builds the HTTP application with its database and in-process workers as services.
///
/// - Parameter components: From ``AppServices/init(configuration:logger:)``.
/// - Returns: An application to run in ``buildServiceGroup(_:role:)`` (or to test with HummingbirdTesting).
public func buildApplication(_ components: AppServices) -> some ApplicationProtocol {
    let configuration = components.configuration
    let listening = listeningController(components)
    let router = buildRouter(components, listening: listening)
    let serverName = "veza"
    var app = Application(
        router: router,
        server: .guardedHTTP1(
            timeouts: configuration.connectionTimeouts,
            immediate: ImmediateStreamResponder(
                listening: listening,
                tokens: components.tokens,
                answered: components.immediateAnswers
            ),
            serverName: serverName
        ),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: serverName
        ),
        services: components.baseServices + components.backgroundServices
            + components.workers(count: configuration.transcodeWorkers),
        logger: components.logger
    )
    app.beforeServerStarts {
        try await components.migrate()
    }
    return app
}

/// The listening routes' controller, shared by the router and the stream fast path.
func listeningController(_ components: AppServices) -> TracksController {
    TracksController(
        tracks: components.tracks,
        store: components.store,
        policy: TrackAccessPolicy(
            entitlements: LicenceEntitlements(grants: components.marketplace.grants),
            hifi: PlanHiFiEntitlement(gate: components.featureGate)
        ),
        shareTokens: ShareToken(secret: components.urlSecret),
        streamURLTTL: components.configuration.streamURLTTL,
        downloadURLTTL: components.configuration.downloadURLTTL,
        shareMaxTTL: components.configuration.shareMaxTTL,
        allowedOrigin: components.configuration.corsAllowOrigin,
        trackRows: components.trackRows
    )
}

/// The routes and middleware, outermost first.
func buildRouter(
    _ components: AppServices,
    listening: TracksController? = nil
) -> Router<AppRequestContext> {
    let listening = listening ?? listeningController(components)
    let registry = MetricsBootstrap.registry
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: JSONErrorMiddleware())
    router.add(middleware: BearerAuthMiddleware(tokens: components.tokens))

    router.addRoutes(
        HealthController(
            checks: [
                DatabaseHealthCheck(database: components.database),
                DataDirectoryHealthCheck(directory: components.configuration.dataDirectory),
                ObjectStoreHealthCheck(
                    store: components.store,
                    backend: components.configuration.storageBackend,
                    location: components.storeLocation
                ),
                FFmpegHealthCheck(),
            ],
            details: components.configuration.healthDetails
        ).endpoints
    )
    router.addRoutes(MetricsController(registry: registry).endpoints)
    router.addRoutes(OpenAPIController(logger: components.logger).endpoints)
    router.addRoutes(
        WebAppController(
            storeOrigin: components.configuration.s3.flatMap { WebAppController.origin(of: $0.endpoint) }
        ).endpoints
    )
    router.addRoutes(
        DevLoginController(enabled: components.configuration.devLogin, tokens: components.tokens).endpoints,
        atPath: "api/v1"
    )
    router.addRoutes(IdentityController().endpoints, atPath: "api/v1")
    let trackRows = components.trackRows
    router.addRoutes(listening.endpoints, atPath: "api/v1/tracks")
    router.addRoutes(
        AdminTranscodeController(
            database: components.database,
            tracks: components.tracks,
            jobs: components.jobs,
            maxAttempts: components.transcodeHandler.maxAttempts,
            trackRows: trackRows
        ).endpoints,
        atPath: "api/v1/tracks"
    )
    router.addRoutes(
        TrackLibraryController(
            database: components.database,
            tracks: components.tracks,
            jobs: components.jobs,
            cleanupMaxAttempts: components.cleanupHandler.maxAttempts,
            trackRows: trackRows
        ).endpoints,
        atPath: "api/v1"
    )
    router.addRoutes(UploadsController(uploads: components.uploads).endpoints, atPath: "api/v1")
    router.addRoutes(
        SubscriptionsController(service: components.subscriptions, gate: components.featureGate).endpoints,
        atPath: "api/v1"
    )
    router.addRoutes(
        SellerController(
            accounts: SellerAccountRepository(database: components.database),
            balances: BalanceRepository(database: components.database),
            transfers: TransferRepository(database: components.database),
            sender: components.transferSender,
            reverser: components.transferReverser,
            clock: { Date() }
        ).endpoints,
        atPath: "api/v1"
    )
    router.addRoutes(
        HyperswitchWebhookController(
            secret: components.configuration.payments.hyperswitch?.webhookSecret,
            subscriptions: components.paymentEvents,
            events: WebhookEventLog(database: components.database),
            marketplace: MarketplaceWebhook(
                processor: components.marketplaceEvents,
                events: WebhookEventLog(database: components.database)
            ),
            logger: components.logger
        ).endpoints,
        atPath: "api/v1"
    )
    router.addRoutes(
        MarketplaceController(service: components.marketplace, tracks: components.tracks).endpoints,
        atPath: "api/v1"
    )
    return router
}
