import Database
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import TestSupport
import Testing

@testable import StreamServer

/// Builds the real application on a fresh data directory and a fresh database of `engine`.
enum TestApp {
    static let jwtSecret = String(repeating: "k", count: 40)

    static func configuration(
        engine: DatabaseEngine,
        dataDirectory: String,
        database: DatabaseLocation?,
        store: StoreBackend = .local,
        extra: [String: String] = [:]
    ) throws -> AppConfiguration {
        var environment = [
            "VEZA_DATA_DIR": dataDirectory, "JWT_SECRET": Self.jwtSecret, "TRANSCODE_WORKERS": "0",
            // HummingbirdTesting's live client keeps one connection for a whole test, idle while the
            // test transcodes: only the connection tests want the 60 s default or less.
            "HTTP_IDLE_TIMEOUT": "1h",
        ]
        if store == .s3 {
            let settings = try TestStore.s3Settings()
            environment["TRACK_STORAGE_BACKEND"] = "s3"
            environment["S3_ENDPOINT"] = settings.endpoint
            environment["S3_REGION"] = settings.region
            environment["S3_BUCKET"] = TestStore.bucket
            environment["S3_ACCESS_KEY_ID"] = settings.credentials.accessKeyID
            environment["S3_SECRET_ACCESS_KEY"] = settings.credentials.secretAccessKey
        }
        if case .postgres(let location) = database {
            environment["DATABASE_URL"] =
                TestDatabase.url(for: location)
        }
        return try AppConfiguration(environment: environment.merging(extra) { $1 })
    }

    /// Runs `body` against the application, in-process (`.router`).
    static func with(
        _ engine: DatabaseEngine,
        store: StoreBackend = .local,
        live: Bool = false,
        environment: [String: String] = [:],
        logger: Logger = TestDatabase.logger,
        _ body: @Sendable (AppServices, any TestClientProtocol) async throws -> Void
    ) async throws {
        if store == .s3 { try await TestStore.bucketReady.value }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("veza-app-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var drop: (@Sendable () async throws -> Void)? = nil
        var location: DatabaseLocation? = nil
        if engine == .postgres {
            let created = try await TestDatabase.createPostgresDatabase()
            location = created.0
            drop = created.1
        }
        do {
            let configuration = try Self.configuration(
                engine: engine,
                dataDirectory: directory,
                database: location,
                store: store,
                extra: environment
            )
            let components = try await AppServices(configuration: configuration, logger: logger)
            let app = buildApplication(components)
            try await app.test(live ? .live : .router) { client in
                try await body(components, client)
            }
        } catch {
            try? await drop?()
            throw error
        }
        try await drop?()
    }

    static func token(
        for identity: Identity,
        lifetime: Duration = .seconds(3600),
        now: Date = Date()
    ) async throws -> String {
        try await AccessTokens(secret: Self.jwtSecret).mint(identity, lifetime: lifetime, now: now)
    }
}

extension ByteBuffer {
    /// The body as a JSON object, for assertions.
    var jsonObject: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(self.readableBytesView))) as? [String: Any]
    }

    /// The `{"error": {"code", "message"}}` body, if that is what this is.
    var apiError: (code: String, message: String)? {
        guard let error = self.jsonObject?["error"] as? [String: Any],
            let code = error["code"] as? String, let message = error["message"] as? String
        else { return nil }
        return (code, message)
    }
}

/// A database and a store, for tests that run on every pair.
struct StoreBackends: CustomTestStringConvertible, Sendable {
    let database: DatabaseEngine
    let store: StoreBackend
    var testDescription: String { "\(self.database)+\(self.store)" }

    static let all = DatabaseEngine.allCases.flatMap { db in
        StoreBackend.allCases.map { StoreBackends(database: db, store: $0) }
    }
}
