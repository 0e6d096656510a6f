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
        guard let pid = self.environment["VEZA_TEST_WEED_PID"].flatMap({ Int32($0) }) else { return }
        Foundation.kill(pid, SIGKILL)
        try await Task.sleep(for: .milliseconds(300))
    }

    /// Starts it again on the same ports and data, and waits until S3 answers.
    func restart() async throws {
        guard let command = self.environment["VEZA_TEST_WEED_CMD"], let log = self.environment["VEZA_TEST_WEED_LOG"],
            let endpoint = self.environment["VEZA_TEST_S3_ENDPOINT"]
        else { throw IngestTestError.setup("services.sh wrote no weed command") }
        try await Self.shell("nohup sh -c 'exec \(command) >>\(log) 2>&1' >/dev/null 2>&1 &")
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

@Suite("SeaweedFS stopped during complete")
struct SeaweedRestartTests {
    @Test(
        "a killed SeaweedFS gives a clear 503; after its restart the same upload completes",
        arguments: DatabaseEngine.allCases
    )
    func restart(engine: DatabaseEngine) async throws {
        let weed = try await PrivateSeaweed()
        do {
            try await IngestHarness.with(engine, .s3) { harness in
                let store = try S3Store(configuration: try weed.configuration(bucket: "outage"))
                do {
                    try await store.createBucketIfNeeded()
                    let service = UploadService(
                        configuration: harness.configuration,
                        database: harness.database,
                        jobs: JobQueue(database: harness.database),
                        store: store,
                        logger: TestDatabase.logger
                    )
                    let owner = UUID()
                    let data = wavFile(size: IngestHarness.fileSize(.s3), seed: 99)
                    let session = try await harness.create(owner: owner, data)
                    try await harness.sendAll(session, data)

                    try await weed.kill()
                    let error = await ingestError {
                        _ = try await service.complete(uploadID: session.id, ownerID: owner)
                    }
                    #expect(error == .storeUnavailable)
                    #expect(error?.retryAfterSeconds != nil)
                    #expect(
                        try await service.progress(uploadID: session.id, ownerID: owner).session.status == .receiving
                    )

                    try await weed.restart()
                    let completion = try await service.complete(uploadID: session.id, ownerID: owner)
                    #expect(completion.created)
                    #expect(completion.track.sha256 == sha256Hex(data))
                    let stored = try await store.get(key: completion.track.storageKey).body.collect(
                        upTo: data.count + 1
                    )
                    #expect(sha256Hex(Array(stored.readableBytesView)) == sha256Hex(data))
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
}
