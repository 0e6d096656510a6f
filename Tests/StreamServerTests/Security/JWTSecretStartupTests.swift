import Foundation
import TestSupport
import Testing

/// Issue 9 §3: a stored JWT secret that is empty or shorter than 32 bytes stops `veza` with one line
/// naming the file, before the database is opened; it is never regenerated over nor used.
@Suite("Secrets: a short stored JWT secret refuses to start", .serialized)
struct JWTSecretStartupTests {
    @Test("serve and token refuse a short or empty stored secret", arguments: DatabaseEngine.allCases)
    func refuses(engine: DatabaseEngine) async throws {
        var environment: [String: String] = [:]
        var drop: (@Sendable () async throws -> Void)? = nil
        if engine == .postgres {
            let (location, dropDatabase) = try await TestDatabase.createPostgresDatabase()
            drop = dropDatabase
            guard case .postgres(let pg) = location else { return }
            environment["DATABASE_URL"] = TestDatabase.url(for: pg)
        }
        do {
            try await Self.check(environment)
        } catch {
            try? await drop?()
            throw error
        }
        try await drop?()
    }

    static func check(_ environment: [String: String]) async throws {
        for stored in ["", "\n", "only-twenty-bytes-xx\n"] {
            let dataDirectory = CommandLineTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
            let secrets = (dataDirectory as NSString).appendingPathComponent("secrets")
            try FileManager.default.createDirectory(atPath: secrets, withIntermediateDirectories: true)
            let path = (secrets as NSString).appendingPathComponent("jwt-secret")
            try Data(stored.utf8).write(to: URL(fileURLWithPath: path))
            let env = environment.merging(["VEZA_DATA_DIR": dataDirectory]) { $1 }
            for arguments in [["serve", "--port", "0"], ["token", "--user", UUID().uuidString]] {
                let run = try await CommandLineTests.run(arguments, environment: env)
                #expect(run.status != 0, "\(arguments) with \(stored.debugDescription)")
                let lines = run.output.split(separator: "\n").filter { $0.contains(path) }
                #expect(lines.count == 1, "\(run.output)")
                #expect(run.output.contains("shorter than 32 bytes"), "\(run.output)")
                // Refused before the database was opened, and the file left as it was.
                #expect(
                    !FileManager.default.fileExists(
                        atPath: (dataDirectory as NSString).appendingPathComponent("veza.sqlite")
                    )
                )
                #expect(try String(contentsOfFile: path, encoding: .utf8) == stored)
            }
        }
    }
}
