import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

@testable import Ingest
@testable import StreamServer

/// A client that announces (and sends) more than a chunk may hold is cut off with 413 while the
/// bytes stream in, over a real socket: the server never stores more than the chunk's length.
@Suite("Lying lengths on a live server", .serialized)
struct LyingLengthTests {
    static let script = #"""
        import socket, sys
        port, path, token, length = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
        sock = socket.create_connection(("127.0.0.1", int(port)))
        sock.sendall((f"PUT {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                      f"Content-Type: application/octet-stream\r\nContent-Length: {length}\r\n\r\n").encode())
        sent = 0
        piece = b"\x00" * 65536
        try:
            while sent < length:
                sock.sendall(piece[: min(len(piece), length - sent)])
                sent += min(len(piece), length - sent)
        except OSError:
            pass
        sock.settimeout(10)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                more = sock.recv(4096)
                if not more:
                    break
                data += more
        except OSError:
            pass
        print(data.split(b"\r\n")[0].decode() if data else "no response")
        """#

    @Test("a chunk body longer than its length is refused mid-stream", arguments: DatabaseEngine.allCases)
    func lyingChunk(engine: DatabaseEngine) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("veza-lying-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = directory.appendingPathComponent("lie.py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)
        try await IngestHarness.with(engine, .local) { harness in
            let owner = UUID()
            let token = try await AccessTokens(secret: UploadsRouteTests.secret).mint(
                Identity(userID: owner, role: .user),
                lifetime: .seconds(600),
                now: Date()
            )
            let data = wavFile(size: 100_000)
            let session = try await harness.create(owner: owner, data)
            let router = Router(context: AppRequestContext.self)
            router.add(middleware: JSONErrorMiddleware())
            router.add(middleware: BearerAuthMiddleware(tokens: await AccessTokens(secret: UploadsRouteTests.secret)))
            router.addRoutes(UploadsController(uploads: harness.service).endpoints, atPath: "api/v1")
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            try await app.test(.live) { client in
                let port = try #require(client.port)
                // Eight MiB announced for a 16 KiB chunk.
                let output = try await TusClientTests.run([
                    "python3", script.path, String(port), "/api/v1/uploads/\(session.id)/chunks/0", token,
                    String(8 * 1024 * 1024),
                ])
                #expect(output.text.contains("413"), "\(output.text)")
            }
            let progress = try await harness.service.progress(uploadID: session.id, ownerID: owner)
            #expect(progress.received.isEmpty)
            let folder = ChunkSpool(directory: harness.configuration.spoolDirectory).folder(for: session.id)
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).isEmpty)
        }
    }
}
