import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing

@testable import Ingest
@testable import StreamServer

/// A request body that records whether anyone read it, and that can hold its last bytes back
/// until it is released (a slow client in the middle of a write).
final class WatchedBody: AsyncSequence, @unchecked Sendable {
    typealias Element = ByteBuffer
    private let lock = NSLock()
    private var pieces: [ByteBuffer]
    private var read = false
    private var released: Bool
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(_ bytes: [UInt8], held: Bool = false) {
        let half = bytes.count / 2
        self.pieces = [ByteBuffer(bytes: bytes[..<half]), ByteBuffer(bytes: bytes[half...])]
        self.released = !held
    }

    var wasRead: Bool { self.lock.withLock { self.read } }

    func release() {
        let waiting = self.lock.withLock {
            self.released = true
            defer { self.waiters = [] }
            return self.waiters
        }
        for waiter in waiting { waiter.resume() }
    }

    private func next() async -> ByteBuffer? {
        let (piece, mustWait): (ByteBuffer?, Bool) = self.lock.withLock {
            self.read = true
            guard !self.pieces.isEmpty else { return (nil, false) }
            return (self.pieces.removeFirst(), self.pieces.isEmpty && !self.released)
        }
        if mustWait {
            await withCheckedContinuation { continuation in
                let now = self.lock.withLock {
                    if self.released { return true }
                    self.waiters.append(continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        }
        return piece
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let body: WatchedBody
        mutating func next() async throws -> ByteBuffer? { await self.body.next() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: self) }
}

/// The test client, shared by concurrent requests (the router client only calls the responder).
struct SharedClient: @unchecked Sendable {
    let client: any TestClientProtocol
}

@Suite("Spool limits: one writer per upload, per-user quota, session cap", .serialized)
struct SpoolLimitsTests {
    @Test("a second writer of an upload gets upload_busy at once, its body unread", arguments: DatabaseEngine.allCases)
    func oneWriter(engine: DatabaseEngine) async throws {
        try await IngestHarness.with(engine, .local) { harness in
            let owner = UUID()
            let data = wavFile(size: IngestHarness.fileSize(.local), seed: 5)
            let session = try await harness.create(owner: owner, data)
            let holder = WatchedBody(chunk(of: data, session: session, index: 0), held: true)
            let service = harness.service
            let first = Task {
                try await service.putChunk(uploadID: session.id, ownerID: owner, index: 0, body: holder, checksum: nil)
            }
            for _ in 0..<200 where try await harness.count("SELECT COUNT(*) AS n FROM upload_writers") == 0 {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(try await harness.count("SELECT COUNT(*) AS n FROM upload_writers") == 1)
            let others = (0..<49).map { _ in WatchedBody(chunk(of: data, session: session, index: 0)) }
            let errors = await withTaskGroup(of: IngestError?.self, returning: [IngestError?].self) { group in
                for body in others {
                    group.addTask {
                        await ingestError {
                            _ = try await service.putChunk(
                                uploadID: session.id,
                                ownerID: owner,
                                index: 0,
                                body: body,
                                checksum: nil
                            )
                        }
                    }
                }
                // A tus writer wants the whole session: refused while a chunk is being written.
                group.addTask {
                    await ingestError {
                        _ = try await service.append(
                            uploadID: session.id,
                            ownerID: owner,
                            offset: 0,
                            body: others[0],
                            checksum: nil
                        )
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(errors.count == 50)
            #expect(errors.allSatisfy { $0 == .uploadBusy })
            #expect(others.allSatisfy { !$0.wasRead })
            // Another chunk of the same upload may be written meanwhile (parallel chunk uploads).
            try await harness.send(session, data, index: 1)
            holder.release()
            let stored = try await first.value
            #expect(stored.size == session.expectedLength(ofChunk: 0))
            #expect(try await harness.count("SELECT COUNT(*) AS n FROM upload_writers") == 0)
            let spooled = try FileManager.default.contentsOfDirectory(
                atPath: ChunkSpool(directory: harness.configuration.spoolDirectory).folder(for: session.id)
            )
            #expect(spooled.sorted() == ["0", "1"])
        }
    }

    @Test(
        "50 concurrent tus PATCHes at offset 0: one succeeds, the rest 409, one chunk spooled",
        arguments: DatabaseEngine.allCases
    )
    func concurrentPatches(engine: DatabaseEngine) async throws {
        try await Self.withRoutes(engine) { harness, client in
            let owner = UUID()
            let data = wavFile(size: IngestHarness.fileSize(.local), seed: 6)
            let session = try await harness.create(owner: owner, data)
            var headers = try await UploadsRouteTests().bearer(owner)
            headers[.contentType] = "application/offset+octet-stream"
            headers[HTTPField.Name("Tus-Resumable")!] = "1.0.0"
            headers[HTTPField.Name("Upload-Offset")!] = "0"
            let body = ByteBuffer(bytes: chunk(of: data, session: session, index: 0))
            let shared = SharedClient(client: client)
            let patch = headers
            let statuses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let response = try await shared.client.execute(
                            uri: "/api/v1/tus/\(session.id.uuidString.lowercased())",
                            method: .patch,
                            headers: patch,
                            body: body
                        )
                        return (response.status, response.body.apiError?.code)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0.0 == .noContent }.count == 1)
            let refused = statuses.filter { $0.0 != .noContent }
            #expect(refused.count == 49)
            #expect(refused.allSatisfy { $0.0 == .conflict })
            #expect(refused.allSatisfy { $0.1 == "upload_busy" || $0.1 == "offset_mismatch" })
            let folder = ChunkSpool(directory: harness.configuration.spoolDirectory).folder(for: session.id)
            var spooled: Int64 = 0
            for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
                let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/" + name)
                spooled += (attributes[.size] as? NSNumber)?.int64Value ?? 0
            }
            #expect(spooled == session.chunkSize)
            let progress = try await harness.service.progress(uploadID: session.id, ownerID: owner)
            #expect(progress.received == [0])
        }
    }

    @Test(
        "over MAX_SPOOL_MB_PER_USER a write gets 429 spool_quota_exceeded, body unread",
        arguments: DatabaseEngine.allCases
    )
    func quota(engine: DatabaseEngine) async throws {
        try await Self.withRoutes(engine, spoolQuota: 3 * IngestHarness.chunkSize(.local)) { harness, client in
            let owner = UUID()
            let first = wavFile(size: IngestHarness.fileSize(.local), seed: 7)
            let second = wavFile(size: IngestHarness.fileSize(.local), seed: 8)
            let a = try await harness.create(owner: owner, first)
            let b = try await harness.create(owner: owner, second)
            try await harness.send(a, first, index: 0)
            try await harness.send(a, first, index: 1)
            try await harness.send(b, second, index: 0)
            let headers = try await UploadsRouteTests().bearer(owner)
            let response = try await client.execute(
                uri: "/api/v1/uploads/\(b.id.uuidString.lowercased())/chunks/1",
                method: .put,
                headers: headers,
                body: ByteBuffer(bytes: chunk(of: second, session: b, index: 1))
            )
            #expect(response.status == .tooManyRequests)
            #expect(response.body.apiError?.code == "spool_quota_exceeded")
            let unread = WatchedBody(chunk(of: second, session: b, index: 1))
            let error = await ingestError {
                _ = try await harness.service.putChunk(
                    uploadID: b.id,
                    ownerID: owner,
                    index: 1,
                    body: unread,
                    checksum: nil
                )
            }
            #expect(error == .spoolQuotaExceeded)
            #expect(!unread.wasRead)
            #expect(try await harness.service.progress(uploadID: b.id, ownerID: owner).received == [0])
            // Another user is not affected; aborting an upload frees its share.
            let stranger = UUID()
            let c = try await harness.create(owner: stranger, first)
            try await harness.send(c, first, index: 0)
            try await harness.service.abort(uploadID: a.id, ownerID: owner)
            try await harness.send(b, second, index: 1)
            #expect(try await harness.service.progress(uploadID: b.id, ownerID: owner).received == [0, 1])
        }
    }

    @Test("parallel creates cannot pass the per-user session cap", arguments: DatabaseEngine.allCases)
    func sessionCap(engine: DatabaseEngine) async throws {
        try await IngestHarness.with(engine, .local) { harness in
            var configuration = harness.configuration
            configuration.maxActiveSessionsPerUser = 5
            let service = UploadService(
                configuration: configuration,
                database: harness.database,
                jobs: harness.service.jobs,
                store: harness.store,
                logger: TestDatabase.logger
            )
            let owner = UUID()
            let results = await withTaskGroup(of: IngestError?.self, returning: [IngestError?].self) { group in
                for index in 0..<30 {
                    group.addTask {
                        await ingestError {
                            _ = try await service.create(ownerID: owner, .init(filename: "s\(index).wav", size: 1000))
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let created = results.filter { $0 == nil }.count
            #expect(created == 5)
            #expect(results.filter { $0 == .tooManySessions }.count == 25)
            let stored = try await harness.count("SELECT COUNT(*) AS n FROM upload_sessions")
            #expect(stored == 5)
        }
    }

    /// The upload routes over a service with the harness's database and store, and its own limits.
    static func withRoutes(
        _ engine: DatabaseEngine,
        maxUploadBytes: Int64 = 20 * 1024 * 1024,
        chunkSize: Int64? = nil,
        spoolQuota: Int64? = nil,
        _ body: @Sendable (IngestHarness, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await IngestHarness.with(engine, .local, maxUploadBytes: maxUploadBytes) { base in
            var configuration = base.configuration
            if let chunkSize { configuration.chunkSize = chunkSize }
            if let spoolQuota { configuration.maxSpoolBytesPerUser = spoolQuota }
            let harness = IngestHarness(
                database: base.database,
                store: base.store,
                configuration: configuration,
                kind: base.kind
            )
            let router = Router(context: AppRequestContext.self)
            router.add(middleware: JSONErrorMiddleware())
            router.add(middleware: BearerAuthMiddleware(tokens: await AccessTokens(secret: UploadsRouteTests.secret)))
            router.addRoutes(UploadsController(uploads: harness.service).endpoints, atPath: "api/v1")
            try await Application(router: router).test(.router) { client in try await body(harness, client) }
        }
    }
}
