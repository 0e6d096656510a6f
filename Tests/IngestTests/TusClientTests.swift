import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

@testable import Ingest
@testable import StreamServer

/// A real tus client (`tuspy`, PyPI) against a live server, including a PATCH whose connection is
/// cut half-way and an upload resumed from the server's offset.
@Suite("tus with tuspy", .serialized)
struct TusClientTests {
    static let script = #"""
        import base64, hashlib, os, socket, sys
        from urllib.parse import urlparse
        from tusclient import client

        base, token, path = sys.argv[1:4]
        headers = {"Authorization": "Bearer " + token}
        tus = client.TusClient(base, headers=headers)
        size = os.path.getsize(path)
        first = tus.uploader(path, chunk_size=20000, upload_checksum=True,
                             metadata={"filename": os.path.basename(path), "title": "tuspy"})
        first.upload(stop_at=min(20000, size))
        url = first.url

        # A PATCH that announces the rest but sends half of it, then the connection is cut.
        with open(path, "rb") as f:
            f.seek(first.offset)
            rest = f.read()
        target = urlparse(url)
        sock = socket.create_connection((target.hostname, target.port))
        head = (f"PATCH {target.path} HTTP/1.1\r\nHost: {target.netloc}\r\nTus-Resumable: 1.0.0\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: application/offset+octet-stream\r\n"
                f"Upload-Offset: {first.offset}\r\nContent-Length: {len(rest)}\r\n\r\n")
        sock.sendall(head.encode() + rest[: len(rest) // 2])
        sock.close()

        # A new client resumes from the offset the server reports (HEAD). Until the server has seen
        # the cut, the old PATCH still holds the upload (409 upload_busy after a 2 s wait, longer on
        # a loaded machine): the client retries, as tus clients do, reading the offset again.
        resumed = tus.uploader(path, url=url, chunk_size=30000, upload_checksum=True, retries=5, retry_delay=1)
        print("resumed-from", resumed.offset)
        resumed.upload()
        print("track", resumed.request.response_headers.get("veza-track-id"))
        """#

    @Test("tuspy uploads a fixture, resuming after a cut connection", arguments: UploadServiceTests.combinations)
    func tuspy(engine: DatabaseEngine, kind: StoreKind) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("veza-tuspy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let scriptPath = directory.appendingPathComponent("client.py")
        try Self.script.write(to: scriptPath, atomically: true, encoding: .utf8)
        let file = directory.appendingPathComponent(kind == .s3 ? "big.wav" : "music.flac")
        let data: [UInt8]
        if kind == .s3 {
            data = wavFile(size: IngestHarness.fileSize(.s3), seed: 21)
        } else {
            let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../fixtures/audio/music.flac").standardizedFileURL
            data = Array(try Data(contentsOf: fixture))
        }
        try Data(data).write(to: file)

        try await IngestHarness.with(engine, kind) { harness in
            let owner = UUID()
            let token = try await AccessTokens(secret: UploadsRouteTests.secret).mint(
                Identity(userID: owner, role: .user),
                lifetime: .seconds(600),
                now: Date()
            )
            let router = Router(context: AppRequestContext.self)
            router.add(middleware: JSONErrorMiddleware())
            router.add(middleware: BearerAuthMiddleware(tokens: await AccessTokens(secret: UploadsRouteTests.secret)))
            router.addRoutes(UploadsController(uploads: harness.service).endpoints, atPath: "api/v1")
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            try await app.test(.live) { client in
                let port = try #require(client.port)
                let output = try await Self.run(
                    ["python3", scriptPath.path, "http://127.0.0.1:\(port)/api/v1/tus/", token, file.path]
                )
                #expect(output.status == 0, "\(output.text)")
                let lines = output.text.split(separator: "\n")
                let resumedFrom = lines.first { $0.hasPrefix("resumed-from") }.map { String($0.dropFirst(13)) }
                #expect(resumedFrom == "20000", "\(output.text)")
                let trackID = try #require(lines.last { $0.hasPrefix("track ") }.map { String($0.dropFirst(6)) })
                let track = try #require(try await TrackRepositoryProbe.find(harness, id: trackID))
                #expect(track.sha256 == sha256Hex(data))
                #expect(try await harness.storedDigest(track.storageKey).0 == sha256Hex(data))
            }
        }
    }

    /// Runs a command without blocking a cooperative thread.
    static func run(_ arguments: [String]) async throws -> (status: Int32, text: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        return try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { process in
                let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                continuation.resume(returning: (process.terminationStatus, text))
            }
            do {
                try process.run()
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }
}
