import AsyncHTTPClient
import Foundation
import NIOCore
import TestSupport
import Testing

/// Runs the built `veza` binary as an operator would.
@Suite("veza command line", .serialized)
struct CommandLineTests {
    static var binary: String {
        // Tests/StreamServerTests/Application/<this file> → package root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/veza").path
    }

    struct Run {
        var status: Int32
        var output: String
    }

    /// A running `veza` whose output is collected.
    final class Running: @unchecked Sendable {
        let process = Process()
        private let lock = NSLock()
        private var buffer = Data()

        init(_ arguments: [String], environment: [String: String]) throws {
            guard FileManager.default.isExecutableFile(atPath: CommandLineTests.binary) else {
                throw TestEnvironmentError(
                    "\(CommandLineTests.binary) is missing: run `swift build` first (scripts/test.sh does)"
                )
            }
            self.process.executableURL = URL(fileURLWithPath: CommandLineTests.binary)
            self.process.arguments = arguments
            var env = ProcessInfo.processInfo.environment.filter {
                !$0.key.hasPrefix("VEZA_") && $0.key != "DATABASE_URL"
            }
            env.merge(environment) { $1 }
            self.process.environment = env
            let pipe = Pipe()
            self.process.standardOutput = pipe
            self.process.standardError = pipe
            pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let data = handle.availableData
                self?.lock.withLock { self?.buffer.append(data) }
            }
            try self.process.run()
        }

        var output: String { self.lock.withLock { String(decoding: self.buffer, as: UTF8.self) } }

        /// Waits for `text` in the output.
        func waitFor(_ text: String, timeout: Duration = .seconds(30)) async throws -> String {
            let deadline = ContinuousClock.now + timeout
            var exitedAt: ContinuousClock.Instant? = nil
            while ContinuousClock.now < deadline {
                if self.output.contains(text) { return self.output }
                if !self.process.isRunning {
                    // Its last lines may still be in the pipe: give the reader a moment.
                    let exited = exitedAt ?? ContinuousClock.now
                    exitedAt = exited
                    if ContinuousClock.now - exited > .seconds(2) { break }
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            throw TestEnvironmentError("'\(text)' did not appear; output:\n\(self.output)")
        }

        /// Waits for exit; returns the status and how long it took.
        func waitForExit(timeout: Duration = .seconds(30)) async throws -> (Int32, Duration) {
            let start = ContinuousClock.now
            while self.process.isRunning {
                guard ContinuousClock.now - start < timeout else {
                    self.process.terminate()
                    throw TestEnvironmentError("veza did not exit; output:\n\(self.output)")
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            return (self.process.terminationStatus, ContinuousClock.now - start)
        }
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Run {
        let running = try Running(arguments, environment: environment)
        let (status, _) = try await running.waitForExit()
        try await Task.sleep(for: .milliseconds(50))
        return Run(status: status, output: running.output)
    }

    static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("veza-cli-\(UUID().uuidString)").path
    }

    /// The port from "Server started and listening on 127.0.0.1:PORT".
    static func port(in output: String) throws -> Int {
        guard let range = output.range(of: "listening on 127.0.0.1:") else {
            throw TestEnvironmentError("no port in \(output)")
        }
        return Int(output[range.upperBound...].prefix { $0.isNumber }) ?? 0
    }

    static func get(_ url: String, token: String? = nil) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    @Test("serve: health, SIGTERM exits 0 within 5 s, data survives a restart", arguments: DatabaseEngine.allCases)
    func serveLifecycle(engine: DatabaseEngine) async throws {
        let dataDirectory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        var environment = ["VEZA_DATA_DIR": dataDirectory]
        var drop: (@Sendable () async throws -> Void)? = nil
        if engine == .postgres {
            let (location, dropDatabase) = try await TestDatabase.createPostgresDatabase()
            drop = dropDatabase
            guard case .postgres(let pg) = location else { return }
            environment["DATABASE_URL"] =
                TestDatabase.url(for: pg)
        }
        defer { if let drop { Task { try? await drop() } } }

        let user = "6f1c0c7e-5d1f-4a8e-9b1e-2f3a4b5c6d7e"
        var token = ""
        for round in 1...2 {
            let server = try Running(["serve", "--port", "0"], environment: environment)
            let output = try await server.waitFor("Server started and listening")
            let port = try Self.port(in: output)
            let (status, body) = try await Self.get("http://127.0.0.1:\(port)/health/deep")
            #expect(status == 200, "\(body)")
            #expect(body.contains("\"status\":\"ok\""))
            if round == 1 {
                #expect(output.contains("generated a random secret"))
                let minted = try await Self.run(["token", "--user", user], environment: environment)
                #expect(minted.status == 0)
                token = String(minted.output.split(separator: "\n").last ?? "")
                #expect(token.split(separator: ".").count == 3)
            } else {
                // The same data: no migration re-applied, the generated secret kept, so the token still works.
                #expect(!output.contains("migration applied"))
                #expect(!output.contains("generated a random secret"))
            }
            let (meStatus, me) = try await Self.get("http://127.0.0.1:\(port)/api/v1/me", token: token)
            #expect(meStatus == 200, "\(me)")
            #expect(me.contains(user))

            let signalled = ContinuousClock.now
            // Ctrl-C in round 1, SIGTERM in round 2.
            kill(server.process.processIdentifier, round == 1 ? SIGINT : SIGTERM)
            _ = try await server.waitFor("veza serve stopped", timeout: .seconds(10))
            // Measured to the server's own last log line: reaping the process can lag on a busy
            // machine, the server's shutdown does not (about 50 ms here).
            #expect(ContinuousClock.now - signalled < .seconds(5))
            let (exit, _) = try await server.waitForExit(timeout: .seconds(20))
            #expect(exit == 0, "\(server.output)")
        }
    }

    @Test("worker: migrates, claims, stops on SIGTERM", arguments: DatabaseEngine.allCases)
    func workerLifecycle(engine: DatabaseEngine) async throws {
        let dataDirectory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        var environment = ["VEZA_DATA_DIR": dataDirectory, "LOG_LEVEL": "debug"]
        var drop: (@Sendable () async throws -> Void)? = nil
        if engine == .postgres {
            let (location, dropDatabase) = try await TestDatabase.createPostgresDatabase()
            drop = dropDatabase
            guard case .postgres(let pg) = location else { return }
            environment["DATABASE_URL"] =
                TestDatabase.url(for: pg)
        }
        defer { if let drop { Task { try? await drop() } } }
        let worker = try Running(["worker", "--concurrency", "2"], environment: environment)
        let output = try await worker.waitFor("worker started")
        #expect(output.contains("migration applied"))
        #expect(!output.contains("job claim failed"))
        kill(worker.process.processIdentifier, SIGTERM)
        let (exit, _) = try await worker.waitForExit(timeout: .seconds(20))
        #expect(exit == 0, "\(worker.output)")
    }

    @Test("serve fails fast, with one clear line, on bad configuration")
    func badConfiguration() async throws {
        let dataDirectory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let cases: [([String], [String: String], String)] = [
            (["serve", "--port", "notaport"], [:], "'notaport' is invalid for '--port"),
            (["serve", "--port", "70000"], [:], "--port: '70000' is not valid"),
            (
                ["serve"], ["DATABASE_URL": "postgres://veza@127.0.0.1:1/veza"],
                "cannot connect to PostgreSQL at postgres://veza@127.0.0.1:1/veza"
            ),
            (["serve"], ["DATABASE_URL": "mysql://db/x"], "DATABASE_URL: expected postgres://"),
            (["serve"], ["MAX_UPLOAD_AUDIO_MB": "0"], "MAX_UPLOAD_AUDIO_MB: '0' is not valid"),
            (
                ["serve"], ["TRACK_STORAGE_BACKEND": "ftp"],
                "TRACK_STORAGE_BACKEND: 'ftp' is not valid; expected local or s3"
            ),
            (["serve"], ["TRACK_STORAGE_BACKEND": "s3"], "S3_ENDPOINT must be set when TRACK_STORAGE_BACKEND=s3"),
            (["serve"], ["HLS_LADDER_KBPS": "64,abc"], "HLS_LADDER_KBPS"),
            (["serve"], ["STREAM_URL_TTL": "8d"], "STREAM_URL_TTL"),
            (["serve"], ["JWT_SECRET": "short"], "JWT_SECRET"),
            (["token", "--user", "nope"], [:], "--user must be a UUID"),
        ]
        for (arguments, environment, message) in cases {
            let start = ContinuousClock.now
            let run = try await Self.run(
                arguments,
                environment: ["VEZA_DATA_DIR": dataDirectory].merging(environment) { $1 }
            )
            #expect(run.status != 0, "\(arguments) \(environment)")
            #expect(run.output.contains(message), "expected '\(message)' in: \(run.output)")
            #expect(ContinuousClock.now - start < .seconds(10))
        }
    }

    @Test("presign reproduces the AWS documentation's presigned URL, and refuses bad input")
    func presign() async throws {
        let environment = [
            "S3_ENDPOINT": "https://s3.amazonaws.com",
            "S3_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
            "S3_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ]
        let arguments = [
            "presign", "--bucket", "examplebucket", "--key", "test.txt", "--expires", "86400", "--at",
            "20130524T000000Z",
            "--virtual-hosted",
        ]
        let run = try await Self.run(arguments, environment: environment)
        #expect(run.status == 0)
        // The S3 documentation's example ("Authenticating Requests: Using Query Parameters").
        #expect(
            run.output.trimmingCharacters(in: .whitespacesAndNewlines)
                == "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        )
        let refused: [([String], [String: String], String)] = [
            (
                ["presign", "--bucket", "b", "--key", "k", "--expires", "604801"], environment,
                "--expires must be between 1 and 604800"
            ),
            (
                ["presign", "--bucket", "b", "--key", "k", "--method", "PUT"], environment,
                "--method must be GET or HEAD"
            ),
            (["presign", "--bucket", "b", "--key", "k", "--at", "yesterday"], environment, "--at must look like"),
            (["presign", "--bucket", "b", "--key", "k"], [:], "S3_ENDPOINT must be set"),
            (["presign", "--bucket", "b", "--key", "../k"], environment, "key"),
        ]
        for (arguments, environment, message) in refused {
            let run = try await Self.run(arguments, environment: environment)
            #expect(run.status != 0, "\(arguments)")
            #expect(run.output.contains(message), "expected '\(message)' in \(run.output)")
        }
    }

    @Test("migrate is idempotent and --help reads well")
    func migrateAndHelp() async throws {
        let dataDirectory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let first = try await Self.run(["migrate"], environment: ["VEZA_DATA_DIR": dataDirectory])
        #expect(first.status == 0)
        #expect(first.output.contains("applied"))
        let second = try await Self.run(["migrate"], environment: ["VEZA_DATA_DIR": dataDirectory])
        #expect(second.output.contains("database is up to date"))
        let help = try await Self.run(["--help"])
        for subcommand in ["serve", "worker", "migrate", "token", "upload", "transcode", "presign"] {
            #expect(help.output.contains(subcommand))
        }
    }
}
