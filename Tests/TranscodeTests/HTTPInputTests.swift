import Foundation
import Testing

@testable import Transcode

#if canImport(Glibc)
import Glibc
#endif

/// Sources on S3 are read through a presigned GET URL: FFmpeg's http protocol, here
/// against a loopback HTTP server (Python's http.server) serving the fixtures.
@Suite("HTTP input")
struct HTTPInputTests {
    @Test func transcodesAndProbesOverHTTP() async throws {
        let server = try FixtureHTTPServer()
        defer { server.stop() }
        let probe = try await Probe.probe(server.url("music-cover.mp3"))
        #expect(probe.title == "Fixture Chords")

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try await HLSTranscoder(ladderKbps: [64], logger: testLogger)
            .transcode(input: server.url("music.m4a"), output: DirectorySink(root: directory.url))
        #expect(abs(result.durationSeconds - 3.0) < 0.05)
        #expect(FileManager.default.fileExists(atPath: directory.url.appendingPathComponent("master.m3u8").path))

        await #expect(throws: TranscodeError.unreadableInput) {
            _ = try await Probe.probe(server.url("missing.mp3"))
        }
    }
}

/// `python3 -m http.server` on 127.0.0.1 and a free port, serving the fixtures.
struct FixtureHTTPServer {
    let port: Int
    private let process: Process

    init() throws {
        for _ in 0..<5 {
            let port = Int.random(in: 20000..<60000)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "python3", "-m", "http.server", "\(port)", "--bind", "127.0.0.1", "--directory",
                Fixtures.directory.path,
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Ready once a connection succeeds; gone if the port was taken.
            for _ in 0..<100 where process.isRunning {
                if FixtureHTTPServer.canConnect(port: port) {
                    self.port = port
                    self.process = process
                    return
                }
                usleep(50_000)
            }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        throw ToolFailure(message: "could not start python3 -m http.server")
    }

    func url(_ name: String) -> String { "http://127.0.0.1:\(port)/\(name)" }

    func stop() {
        // SIGKILL: a child spawned from a dispatch thread inherits its blocked signals,
        // SIGTERM included, so terminate() would leave the server running.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    private static func canConnect(port: Int) -> Bool {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
