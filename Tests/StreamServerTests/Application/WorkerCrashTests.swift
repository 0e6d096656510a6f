import Catalog
import Database
import Foundation
import Logging
import TestSupport
import Testing
import Transcode

@testable import StreamServer

/// A `veza worker` killed with SIGKILL in the middle of a transcode: its lease runs out and another
/// worker process runs the job from the start to a ready track.
@Suite("Worker crash", .serialized)
struct WorkerCrashTests {
    @Test("a SIGKILLed worker's job completes on another worker")
    func killedWorker() async throws {
        let (location, drop) = try await TestDatabase.createPostgresDatabase()
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "veza-crash-\(UUID().uuidString)"
        ).path
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        guard case .postgres(let pg) = location else { return }
        let environment = [
            "VEZA_DATA_DIR": dataDirectory,
            "DATABASE_URL": TestDatabase.url(for: pg),
            "JWT_SECRET": TestApp.jwtSecret,
            "JOB_LEASE_SECONDS": "3",
            "LOG_LEVEL": "info",
        ]
        do {
            // A source long enough to be mid-transcode when the first worker dies.
            let source = dataDirectory + "/long.wav"
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
            try await PrivateProcess.run(
                "/usr/bin/ffmpeg",
                [
                    "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=150", "-ac", "2",
                    "-ar", "44100", source,
                ]
            )
            let configuration = try AppConfiguration(environment: environment)
            let components = try await AppServices(configuration: configuration, logger: TestDatabase.logger)
            let trackID = UUID()
            try await components.database.withRunning {
                try await components.migrate()
                let owner = UUID()
                let key = Track.sourceKey(ownerID: owner, trackID: trackID, fileExtension: "wav")
                _ = try await components.store.put(key: key, body: try await .file(atPath: source))
                try await components.tracks.insert(
                    Track(
                        id: trackID,
                        ownerID: owner,
                        title: "long",
                        visibility: .public,
                        status: .processing,
                        storageBackend: .local,
                        storageKey: key,
                        sizeBytes: 0,
                        sha256: "",
                        contentType: "audio/wav"
                    )
                )
                try await components.jobs.enqueue(queue: "transcode", payload: TranscodeJobPayload(trackID: trackID))
            }
            await components.shutdownWithoutRunning()

            let first = try CommandLineTests.Running(["worker"], environment: environment)
            _ = try await first.waitFor("job started", timeout: .seconds(60))
            try await Task.sleep(for: .milliseconds(500))
            kill(first.process.processIdentifier, SIGKILL)
            _ = try await first.waitForExit(timeout: .seconds(10))
            #expect(!first.output.contains("transcode finished"))

            let second = try CommandLineTests.Running(["worker"], environment: environment)
            let output = try await second.waitFor("job succeeded", timeout: .seconds(180))
            #expect(output.contains("job.attempt=2"))
            kill(second.process.processIdentifier, SIGTERM)
            _ = try await second.waitForExit(timeout: .seconds(20))

            let check = try await AppServices(configuration: configuration, logger: TestDatabase.logger)
            let track = try await check.database.withRunning { try await check.tracks.find(id: trackID) }
            await check.shutdownWithoutRunning()
            #expect(track?.status == .ready)
            #expect(abs(Double(track?.durationMs ?? 0) - 150_000) < 100)
        } catch {
            try? await drop()
            throw error
        }
        try await drop()
    }
}

/// Runs a command to completion (for fixtures made on the fly).
enum PrivateProcess {
    static func run(_ executable: String, _ arguments: [String]) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        guard process.terminationStatus == 0 else {
            throw TestEnvironmentError("\(executable) exited \(process.terminationStatus)")
        }
    }
}
