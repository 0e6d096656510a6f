import AsyncHTTPClient
import Foundation
import SignedURL
import Storage

/// The object stores every storage-touching test runs against.
public enum StoreBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case local
    case s3

    public var description: String { self.rawValue }
}

/// Fresh object stores for tests: a temporary directory, or a bucket of its own on the SeaweedFS
/// that `scripts/test.sh` starts (`VEZA_TEST_S3_*`).
public enum TestStore {
    public static let urlSecret = Array("veza-test-url-secret-0123456789abcdef".utf8)

    /// The S3 settings of this test run, or an error that says how to get them.
    public static func s3Settings() throws -> (endpoint: String, region: String, credentials: AWSCredentials) {
        let environment = ProcessInfo.processInfo.environment
        let names = ["VEZA_TEST_S3_ENDPOINT", "VEZA_TEST_S3_ACCESS_KEY_ID", "VEZA_TEST_S3_SECRET_ACCESS_KEY"]
        let missing = names.filter { (environment[$0] ?? "").isEmpty }
        guard missing.isEmpty else {
            throw TestEnvironmentError(
                "\(missing.joined(separator: ", ")) not set: run the suite with scripts/test.sh, which starts SeaweedFS"
            )
        }
        return (
            environment["VEZA_TEST_S3_ENDPOINT"]!,
            environment["VEZA_TEST_S3_REGION"].flatMap { $0.isEmpty ? nil : $0 } ?? "us-east-1",
            AWSCredentials(
                accessKeyID: environment["VEZA_TEST_S3_ACCESS_KEY_ID"]!,
                secretAccessKey: environment["VEZA_TEST_S3_SECRET_ACCESS_KEY"]!
            )
        )
    }

    public static let bucket = "veza-t-\(UUID().uuidString.lowercased().prefix(18))"

    public static let bucketReady = Task<Void, any Error> {
        let store = try S3Store(configuration: try TestStore.s3Configuration(bucket: TestStore.bucket))
        do {
            try await store.createBucketIfNeeded()
            try await store.shutdown()
        } catch {
            try? await store.shutdown()
            throw error
        }
    }

    /// The S3 store configuration of the test server for `bucket`.
    public static func s3Configuration(bucket: String) throws -> S3Store.Configuration {
        let settings = try self.s3Settings()
        return S3Store.Configuration(
            endpoint: settings.endpoint,
            region: settings.region,
            bucket: bucket,
            credentials: settings.credentials
        )
    }

    /// Runs `body` with a store of `backend`: an empty temporary directory, or the test run's
    /// bucket (shared; keys under test are unique).
    public static func with<R: Sendable>(
        _ backend: StoreBackend,
        _ body: @Sendable (any ObjectStore) async throws -> R
    ) async throws -> R {
        switch backend {
        case .local:
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("veza-store-\(UUID().uuidString)")
                .path
            defer { try? FileManager.default.removeItem(atPath: root) }
            return try await body(FileSystemStore(configuration: .init(root: root, urlSigningSecret: self.urlSecret)))
        case .s3:
            // One bucket per test process: SeaweedFS gives each bucket several volumes of its
            // own, and a few dozen buckets exhaust them. Keys under test are unique (UUIDs).
            let store = try S3Store(configuration: try self.s3Configuration(bucket: self.bucket))
            do {
                try await self.bucketReady.value
                let result = try await body(store)
                try await store.shutdown()
                return result
            } catch {
                try? await store.shutdown()
                throw error
            }
        }
    }
}
