import AsyncHTTPClient
import Catalog
import Database
import Foundation
import Ingest
import Logging
import Marketplace
import Payments
import ServiceLifecycle
import SignedURL
import Storage
import Subscription
import Transcode

/// The long-lived parts of a `veza` process, built from a validated configuration: the database,
/// the job queue, the object store, the shared HTTP client, the upload service.
///
/// Nothing is started here: ``buildServiceGroup(_:role:)`` (App+build.swift, the composition root)
/// puts them in order into one `ServiceGroup`. Nothing below this type reads the environment.
public struct AppServices: Sendable {
    public let configuration: AppConfiguration
    public let database: DatabaseClient
    public let jobs: JobQueue
    public let tracks: TrackRepository
    public let tokens: AccessTokens
    /// Sources and renditions: the local disk or S3.
    public let store: any ObjectStore
    /// Shared by every outgoing HTTP client (S3, payment providers).
    public let httpClient: HTTPClient
    /// Signs app-served URLs (local-store object URLs).
    public let urlSecret: [UInt8]
    /// Resumable uploads (chunk API), assembled into `store`.
    public let uploads: UploadService
    /// Payments and refunds, when `HYPERSWITCH_*` is configured (on the shared `httpClient`).
    public let hyperswitch: HyperswitchClient?
    /// Seller transfers and reversals, when `STRIPE_SECRET_KEY` is configured (on the shared `httpClient`).
    public let stripe: StripeConnectClient?
    /// Plans, subscriptions, invoices; paid plans need ``hyperswitch``.
    public let subscriptions: SubscriptionService
    /// Applies payment webhooks (and the reconciler's synthetic ones) to subscriptions.
    public let paymentEvents: PaymentEventProcessor
    /// Pays seller transfers out through Stripe (for ``payoutQueue`` after a payment's commit, the
    /// retry worker for due rows). Without `STRIPE_SECRET_KEY` every attempt fails and is retried.
    public let transferSender: TransferSender
    /// Sends the payouts payment commits write, off the webhook's request (a background service).
    public let payoutQueue: PayoutQueue
    /// Reverses the transfers of refunded orders (the reversal worker, an administrator's retry).
    public let transferReverser: TransferReverser
    /// The one place routes ask whether a user has a paid feature.
    public let featureGate: FeatureGate
    /// Applies payment and refund webhooks (and the reconciler's synthetic ones) to orders.
    public let marketplaceEvents: MarketplaceEventProcessor
    /// Products, orders, refunds.
    public let marketplace: MarketplaceService
    public let logger: Logger
    /// Track rows for the listening routes and the stream fast path (one cache, which the library
    /// and admin routes invalidate).
    let trackRows = TrackRowCache()
    /// Counts the requests the stream fast path answered (``ImmediateStreamResponder``).
    let immediateAnswers = ImmediateAnswerCount()
    /// Opens once this process has applied the migrations; workers wait for it.
    public let schemaReady = ReadinessGate()

    /// Every migration, in order. New modules append theirs here.
    public static let migrations: [Migration] =
        CoreMigrations.all + CatalogMigrations.all + IngestMigrations.all + SubscriptionMigrations.all
        + MarketplaceMigrations.all

    /// Builds the components; nothing is started yet.
    public init(configuration: AppConfiguration, logger: Logger) async throws {
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        self.configuration = configuration
        self.logger = logger
        // The secret first: a process that must refuse to start (a short stored secret) opens nothing.
        let tokenSecret = try JWTSecret.resolve(
            configured: configuration.jwtSecret,
            dataDirectory: configuration.dataDirectory,
            logger: logger
        )
        self.database = try DatabaseClient(location: configuration.database, logger: logger)
        self.jobs = JobQueue(database: self.database, leaseDuration: TimeInterval(configuration.jobLeaseSeconds))
        self.tracks = TrackRepository(database: self.database)
        self.tokens = await AccessTokens(secret: tokenSecret)
        self.urlSecret = ObjectStoreFactory.urlSecret(fromTokenSecret: tokenSecret)
        let httpClient = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10)))
        )
        do {
            self.store = try ObjectStoreFactory.store(
                configuration: configuration,
                httpClient: httpClient,
                urlSecret: self.urlSecret,
                logger: logger
            )
        } catch {
            // An HTTPClient must be shut down before it is released.
            try? await httpClient.shutdown()
            throw error
        }
        self.httpClient = httpClient
        self.hyperswitch = configuration.payments.hyperswitch.map {
            HyperswitchClient(baseURL: $0.baseURL, apiKey: $0.apiKey, httpClient: httpClient, logger: logger)
        }
        self.stripe = configuration.payments.stripe.map {
            StripeConnectClient(baseURL: $0.baseURL, secretKey: $0.secretKey, httpClient: httpClient, logger: logger)
        }
        var ingest = IngestConfiguration(
            dataDirectory: configuration.dataDirectory,
            backend: configuration.storageBackend == .s3 ? .s3 : .local,
            maxUploadBytes: configuration.maxUploadBytes
        )
        ingest.maxSpoolBytesPerUser = configuration.maxSpoolBytesPerUser
        self.uploads = UploadService(
            configuration: ingest,
            database: self.database,
            jobs: self.jobs,
            store: self.store,
            logger: logger
        )
        let provider = self.hyperswitch.map { HyperswitchSubscriptionProvider(client: $0) }
        self.subscriptions = SubscriptionService(database: self.database, provider: provider, logger: logger)
        self.paymentEvents = PaymentEventProcessor(database: self.database, provider: provider, logger: logger)
        let payoutProvider = self.stripe.map { StripeSellerTransferProvider(client: $0) }
        self.transferSender = TransferSender(
            database: self.database,
            provider: payoutProvider,
            policy: configuration.payouts.policy,
            logger: logger
        )
        self.payoutQueue = PayoutQueue(sender: self.transferSender)
        self.transferReverser = TransferReverser(
            database: self.database,
            provider: payoutProvider,
            policy: configuration.payouts.policy,
            logger: logger
        )
        self.featureGate = FeatureGate(database: self.database, grace: configuration.subscription.grace)
        let marketplaceProvider = self.hyperswitch.map { HyperswitchMarketplaceProvider(client: $0) }
        self.marketplaceEvents = MarketplaceEventProcessor(
            database: self.database,
            provider: marketplaceProvider,
            payouts: self.payoutQueue,
            feePercent: configuration.marketplace.platformFeePercent,
            logger: logger
        )
        self.marketplace = MarketplaceService(
            database: self.database,
            provider: marketplaceProvider,
            sellers: PlanSellerGate(gate: self.featureGate),
            processor: self.marketplaceEvents,
            refundWindow: configuration.marketplace.refundWindow,
            logger: logger
        )
    }

    /// One reconciliation pass (`veza reconcile`), summarised for the operator: subscriptions'
    /// invoices, then the marketplace's orders and refunds.
    public func reconcilePaymentsOnce() async throws -> String {
        guard self.paymentEvents.hasProvider else { return "no payment provider is configured; nothing to reconcile" }
        let report = try await self.paymentReconciler.reconcileOnce()
        let market = try await self.marketplaceReconciler.reconcileOnce()
        return "examined \(report.examined) pending invoice(s): \(report.applied) applied, "
            + "\(report.requested) payment(s) requested, \(report.failed) left for the next pass; "
            + "marketplace: \(market.orders) stuck order(s), \(market.refunds) stuck refund(s), "
            + "\(market.orphans) orphan refund(s): \(market.applied) applied, \(market.failed) left for the next pass"
    }

    /// Finishes stuck orders, stuck refunds and orphan refunds (also `veza reconcile`).
    public var marketplaceReconciler: MarketplaceReconciler {
        let settings = self.configuration.marketplace
        return MarketplaceReconciler(
            processor: self.marketplaceEvents,
            orderStuckAfter: settings.orderStuckAfter,
            refundStuckAfter: settings.refundStuckAfter,
            refundOrphanAfter: settings.refundOrphanAfter,
            interval: settings.reconcileInterval,
            readiness: self.schemaReady,
            logger: self.logger
        )
    }

    /// Trial ends, renewals, grace expiry, scheduled downgrades and cancellations.
    public var subscriptionSweeper: SubscriptionSweeper {
        SubscriptionSweeper(
            service: self.subscriptions,
            grace: self.configuration.subscription.grace,
            interval: self.configuration.subscription.sweepInterval,
            readiness: self.schemaReady,
            logger: self.logger
        )
    }

    /// Finishes checkouts whose webhook never came (also `veza reconcile`).
    public var paymentReconciler: PaymentReconciler {
        PaymentReconciler(
            service: self.subscriptions,
            processor: self.paymentEvents,
            pendingAfter: self.configuration.subscription.reconcilePendingAfter,
            interval: self.configuration.subscription.reconcileInterval,
            readiness: self.schemaReady,
            logger: self.logger
        )
    }

    /// Sends again the failed (and stranded pending) seller transfers.
    public var transferRetryWorker: TransferRetryWorker {
        TransferRetryWorker(
            sender: self.transferSender,
            interval: self.configuration.payouts.transferRetryInterval,
            readiness: self.schemaReady,
            logger: self.logger
        )
    }

    /// Reverses the transfers of refunded orders.
    public var reversalWorker: ReversalWorker {
        ReversalWorker(
            reverser: self.transferReverser,
            interval: self.configuration.payouts.reversalCheckInterval,
            readiness: self.schemaReady,
            logger: self.logger
        )
    }

    /// Turns stored sources into HLS renditions.
    public var transcodeHandler: TranscodeJobHandler {
        TranscodeJobHandler(
            tracks: self.tracks,
            store: self.store,
            ladderKbps: self.configuration.hlsLadderKbps,
            segmentSeconds: self.configuration.hlsSegmentSeconds,
            maxTrackSeconds: Double(self.configuration.maxTrackSeconds)
        )
    }

    /// Removes a deleted track's objects, then its row.
    public var cleanupHandler: TrackCleanupJobHandler {
        TrackCleanupJobHandler(tracks: self.tracks, store: self.store)
    }

    /// Where objects live, for logs and `/health/deep`.
    public var storeLocation: String {
        switch self.configuration.storageBackend {
        case .local: (self.configuration.dataDirectory as NSString).appendingPathComponent("objects")
        case .s3: "\(self.configuration.s3?.endpoint ?? "")/\(self.configuration.s3?.bucket ?? "")"
        }
    }

    /// Releases what ``baseServices`` would have stopped, for a process that fails before running them.
    public func shutdownWithoutRunning() async {
        try? await self.httpClient.shutdown()
    }

    /// The long-lived services every process runs, in start order (stopped in reverse).
    public var baseServices: [any Service] {
        [self.database, HTTPClientService(client: self.httpClient)]
    }

    /// Applies pending migrations.
    ///
    /// - Returns: The ids of the migrations applied now.
    @discardableResult
    public func migrate() async throws -> [String] {
        let applied = try await Migrator(database: self.database, migrations: Self.migrations, logger: self.logger)
            .migrate()
        self.schemaReady.open()
        return applied
    }

    /// The background workers `veza serve` runs in-process and `veza worker` runs alone.
    ///
    /// Housekeeping every process runs: expired uploads and abandoned multipart uploads are freed,
    /// uploads' prefixes fed into the store while their chunks arrive (on the nodes receiving them),
    /// stuck payments reconciled, subscription periods swept.
    public var backgroundServices: [any Service] {
        [
            UploadJanitor(uploads: self.uploads, readiness: self.schemaReady, logger: self.logger),
            self.uploads.prefixAssemblyService,
            self.paymentReconciler,
            self.subscriptionSweeper,
            self.payoutQueue,
            self.transferRetryWorker,
            self.reversalWorker,
            self.marketplaceReconciler,
        ]
    }

    /// A queue without a handler gets no worker, so its jobs wait rather than fail.
    public func workers(count: Int) -> [any Service] {
        let handlers: [any JobHandler] = [self.transcodeHandler, self.cleanupHandler]
        return handlers.flatMap { handler in
            (0..<count).map { _ in
                JobWorker(queue: self.jobs, handler: handler, readiness: self.schemaReady, logger: self.logger)
                    as any Service
            }
        }
    }
}
