import Database
import Foundation
import SignedURL
import Storage
import TestSupport
import Testing

@testable import Ingest

/// A SeaweedFS of the test's own (from `scripts/services.sh`), so that it can be killed and
/// restarted without disturbing the tests that share the run's server.
final class PrivateSeaweed: @unchecked Sendable {
    let directory: String
    let environment: [String: String]

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    init() async throws {
        self.directory =
            FileManager.default.temporaryDirectory.appendingPathComponent("veza-weed-\(UUID().uuidString)").path
        try await Self.shell("bash scripts/services.sh start '\(self.directory)' >/dev/null")
        let text = try String(contentsOfFile: self.directory + "/env.sh", encoding: .utf8)
        var environment: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("export ") {
            let assignment = line.dropFirst("export ".count)
            guard let equals = assignment.firstIndex(of: "=") else { continue }
            var value = String(assignment[assignment.index(after: equals)...])
            if value.hasPrefix("'") && value.hasSuffix("'") { value = String(value.dropFirst().dropLast()) }
            environment[String(assignment[..<equals])] = value
        }
        self.environment = environment
    }

    func configuration(bucket: String) throws -> S3Store.Configuration {
        guard let endpoint = self.environment["VEZA_TEST_S3_ENDPOINT"],
            let key = self.environment["VEZA_TEST_S3_ACCESS_KEY_ID"],
            let secret = self.environment["VEZA_TEST_S3_SECRET_ACCESS_KEY"]
        else { throw IngestTestError.setup("services.sh wrote no S3 settings") }
        var configuration = S3Store.Configuration(
            endpoint: endpoint,
            bucket: bucket,
            credentials: AWSCredentials(accessKeyID: key, secretAccessKey: secret)
        )
        configuration.retry.maximumAttempts = 2
        configuration.timeouts = S3Store.Timeouts(connect: .seconds(2), request: .seconds(10), upload: .seconds(30))
        return configuration
    }

    /// SIGKILL, as a crash or an OOM kill would (SeaweedFS keeps its data).
    func kill() async throws {
        let restarted = (try? String(contentsOfFile: self.directory + "/restarted.pid", encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard let pid = restarted ?? self.environment["VEZA_TEST_WEED_PID"].flatMap({ Int32($0) }) else { return }
        Foundation.kill(pid, SIGKILL)
        try await Task.sleep(for: .milliseconds(300))
    }

    /// Starts it again on the same ports and data, and waits until S3 answers.
    func restart() async throws {
        guard let command = self.environment["VEZA_TEST_WEED_CMD"], let log = self.environment["VEZA_TEST_WEED_LOG"],
            let endpoint = self.environment["VEZA_TEST_S3_ENDPOINT"]
        else { throw IngestTestError.setup("services.sh wrote no weed command") }
        // The inner shell records its pid, which `exec` hands to weed, so that a second kill finds it.
        let pidFile = self.directory + "/restarted.pid"
        try await Self.shell("nohup sh -c 'echo $$ >\(pidFile); exec \(command) >>\(log) 2>&1' >/dev/null 2>&1 &")
        try await Self.shell(
            "for i in $(seq 1 240); do curl -fs -o /dev/null \(endpoint)/healthz && exit 0; sleep 0.25; done; exit 1"
        )
    }

    func stop() async {
        try? await Self.shell(
            "bash scripts/services.sh stop '\(self.directory)' >/dev/null 2>&1; rm -rf '\(self.directory)'"
        )
    }

    /// Runs a bash script from the repository root and waits for it on a thread of its own
    /// (`waitpid`), so the daemons the script leaves running cannot keep the wait open.
    static func shell(_ script: String) async throws {
        let root = self.repositoryRoot.path
        let status: Int32 = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var pid: pid_t = 0
                let arguments = ["/bin/bash", "-c", "cd '\(root)' && \(script)"]
                var argv = arguments.map { strdup($0) } + [nil]
                defer { for pointer in argv { free(pointer) } }
                guard posix_spawn(&pid, "/bin/bash", nil, nil, &argv, environ) == 0 else {
                    continuation.resume(returning: -1)
                    return
                }
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                continuation.resume(returning: status)
            }
        }
        guard status == 0 else {
            throw IngestTestError.setup("`\(script.prefix(60))…` exited with status \(status)")
        }
    }
}

/// The real S3 store, with a hook that kills the private SeaweedFS at a chosen moment of the
/// assembly's `CreateMultipartUpload` (instrumentation around the real server, not a mock: every
/// call reaches SeaweedFS).
struct KillAroundCreateStore: ObjectStore {
    enum Moment: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case before, during, after
        var testDescription: String { "kill \(self.rawValue) CreateMultipartUpload" }
    }

    let inner: S3Store
    let weed: PrivateSeaweed
    let moment: Moment?

    func createMultipartUpload(key: String, options: PutOptions) async throws -> MultipartUpload {
        switch self.moment {
        case nil:
            return try await self.inner.createMultipartUpload(key: key, options: options)
        case .before:
            try await self.weed.kill()
            return try await self.inner.createMultipartUpload(key: key, options: options)
        case .during:
            async let created = self.inner.createMultipartUpload(key: key, options: options)
            try await Task.sleep(for: .milliseconds(2))
            try await self.weed.kill()
            return try await created
        case .after:
            let upload = try await self.inner.createMultipartUpload(key: key, options: options)
            try await self.weed.kill()
            return upload
        }
    }

    func put(key: String, body: ObjectBody, options: PutOptions) async throws -> PutResult {
        try await self.inner.put(key: key, body: body, options: options)
    }
    func get(key: String, range: ByteRange?) async throws -> ObjectResponse {
        try await self.inner.get(key: key, range: range)
    }
    func head(key: String) async throws -> ObjectInfo? { try await self.inner.head(key: key) }
    func delete(key: String) async throws { try await self.inner.delete(key: key) }
    func list(prefix: String) -> ObjectListing { self.inner.list(prefix: prefix) }
    func uploadPart(_ upload: MultipartUpload, partNumber: Int, body: ObjectBody) async throws -> CompletedPart {
        try await self.inner.uploadPart(upload, partNumber: partNumber, body: body)
    }
    func completeMultipartUpload(_ upload: MultipartUpload, parts: [CompletedPart]) async throws -> PutResult {
        try await self.inner.completeMultipartUpload(upload, parts: parts)
    }
    func abortMultipartUpload(_ upload: MultipartUpload) async throws {
        try await self.inner.abortMultipartUpload(upload)
    }
    func listParts(_ upload: MultipartUpload) async throws -> [UploadedPart] { try await self.inner.listParts(upload) }
    func listMultipartUploads(prefix: String) async throws -> [MultipartUploadInfo] {
        try await self.inner.listMultipartUploads(prefix: prefix)
    }
    func signedURL(
        method: SignedURLMethod,
        key: String,
        expires: Duration,
        responseContentDisposition: String?,
        date: Date
    ) throws -> String {
        try self.inner.signedURL(
            method: method,
            key: key,
            expires: expires,
            responseContentDisposition: responseContentDisposition,
            date: date
        )
    }
    func checkHealth() async throws { try await self.inner.checkHealth() }
    func localPath(for key: String) throws -> String? { try self.inner.localPath(for: key) }
}

@Suite("SeaweedFS stopped during complete", .serialized)
struct SeaweedRestartTests {
    /// No multipart upload is left behind: an abort the outage refused stays recorded and is
    /// retried by the next `complete` (and by the janitor).
    @Test(
        "a killed SeaweedFS gives a clear 503; after its restart the same upload completes and no multipart upload is left",
        arguments: DatabaseEngine.allCases
    )
    func restart(engine: DatabaseEngine) async throws {
        let weed = try await PrivateSeaweed()
        do {
            try await IngestHarness.with(engine, .s3) { harness in
                let store = try S3Store(configuration: try weed.configuration(bucket: "outage"))
                do {
                    try await store.createBucketIfNeeded()
                    for moment in KillAroundCreateStore.Moment.allCases {
                        try await Self.outage(moment, harness: harness, store: store, weed: weed)
                    }
                    try await store.shutdown()
                } catch {
                    try? await store.shutdown()
                    throw error
                }
            }
        } catch {
            await weed.stop()
            throw error
        }
        await weed.stop()
    }

    static func outage(
        _ moment: KillAroundCreateStore.Moment,
        harness: IngestHarness,
        store: S3Store,
        weed: PrivateSeaweed
    ) async throws {
        func service(killing moment: KillAroundCreateStore.Moment?) -> UploadService {
            UploadService(
                configuration: harness.configuration,
                database: harness.database,
                jobs: JobQueue(database: harness.database),
                store: KillAroundCreateStore(inner: store, weed: weed, moment: moment),
                logger: TestDatabase.logger
            )
        }
        let owner = UUID()
        let data = wavFile(size: IngestHarness.fileSize(.s3), seed: 99)
        let session = try await harness.create(owner: owner, data)
        try await harness.sendAll(session, data)

        let error = await ingestError {
            _ = try await service(killing: moment).complete(uploadID: session.id, ownerID: owner)
        }
        #expect(error == .storeUnavailable, "\(moment)")
        #expect(error?.retryAfterSeconds != nil)
        let healthy = service(killing: nil)
        #expect(try await healthy.progress(uploadID: session.id, ownerID: owner).session.status == .receiving)
        let pendingSQL = "SELECT COUNT(*) AS n FROM upload_pending_aborts"
        // The attempt's multipart upload (or, while CreateMultipartUpload had not answered, its key)
        // is still recorded.
        #expect(try await harness.count(pendingSQL) == 1, "\(moment)")

        try await weed.restart()
        if moment == .after {
            // The janitor settles due aborts on its own, before any client comes back.
            _ = try await healthy.collectGarbage(now: Date().addingTimeInterval(3600))
            #expect(try await harness.count(pendingSQL) == 0)
            #expect(try await store.listMultipartUploads(prefix: "").isEmpty)
        }
        let completion = try await healthy.complete(uploadID: session.id, ownerID: owner)
        #expect(completion.created)
        #expect(completion.track.sha256 == sha256Hex(data))
        let listed = try await store.listMultipartUploads(prefix: "")
        #expect(listed.isEmpty, "\(moment): \(listed.map(\.upload.key))")
        #expect(try await harness.count(pendingSQL) == 0, "\(moment)")
        let stored = try await store.get(key: completion.track.storageKey).body.collect(upTo: data.count + 1)
        #expect(sha256Hex(Array(stored.readableBytesView)) == sha256Hex(data))
    }
}
