import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import Retry
import SignedURL
import VezaAPI

/// The client side of the chunk API, used by `veza upload`: creates a session, sends chunks with a
/// few in flight and retries, resumes a session it remembers for the same file, and completes.
public struct UploadClient: Sendable {
    /// Where and how to upload.
    public struct Options: Sendable {
        /// The server's base URL, e.g. `http://localhost:8080`.
        public var server: String
        public var token: String
        public var title: String?
        /// Chunks in flight at once.
        public var concurrency = 3
        /// Attempts per request before giving up.
        public var attempts = 6
        /// Where the session id of each file is remembered between runs.
        public var stateFile: String?

        public init(server: String, token: String, title: String? = nil, stateFile: String? = nil) {
            self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
            self.token = token
            self.title = title
            self.stateFile = stateFile
        }
    }

    /// Bytes on the server so far, for a progress display.
    public struct Progress: Sendable {
        public var sentBytes: Int64
        public var totalBytes: Int64
        /// Bytes that were already there when this run started (resumed).
        public var resumedBytes: Int64
    }

    /// Why an upload failed.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    let httpClient: HTTPClient
    let options: Options

    public init(httpClient: HTTPClient, options: Options) {
        self.httpClient = httpClient
        self.options = options
    }

    /// Uploads a file and returns the new track's id.
    public func upload(file path: String, progress: @escaping @Sendable (Progress) -> Void) async throws -> String {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let stateKey =
            "\(self.options.server)|\(URL(fileURLWithPath: path).standardizedFileURL.path)|\(size)|\(modified)"
        var state = UploadClientState(path: self.options.stateFile)
        var session: SessionInfo? = nil
        if let id = state.sessions[stateKey] {
            session = try await self.resume(id)
            if let trackID = session?.trackID {
                state.remove(stateKey)
                return trackID
            }
        }
        if session == nil {
            session = try await self.create(path: path, size: size)
            state.set(stateKey, session!.id)
        }
        let current = session!
        let missing = Set(current.missing)
        let counter = ByteCounter(total: size, already: size - missing.reduce(0) { $0 + current.length(of: $1) })
        progress(counter.progress)
        let digest = try await self.sendChunks(current, missing: missing, file: ChunkFile(path: path)) { length in
            progress(counter.add(length))
        }
        let trackID = try await self.complete(current.id, sha256: digest)
        state.remove(stateKey)
        return trackID
    }

    /// Reads the file's chunks in order, hashing the whole file on the way, and sends the
    /// `missing` ones with a few in flight; returns the file's SHA-256 (hex), for `complete`.
    ///
    /// One pass over the file: the whole-file digest is computed here while the chunks in flight
    /// are hashed (for `X-Chunk-SHA256`) and sent by their own tasks, so both hashes run at once
    /// and no core waits for a hashing pass before the first chunk goes out. A chunk is read
    /// straight into one of `concurrency + 1` reused buffers. A resumed upload reads (and hashes)
    /// the chunks the server already has without sending them.
    private func sendChunks(
        _ session: SessionInfo,
        missing: Set<Int>,
        file: ChunkFile,
        sent: @escaping @Sendable (Int64) -> Void
    ) async throws -> String {
        var hasher = SHA256()
        try await withThrowingTaskGroup(of: ByteBuffer.self) { group in
            var free: [ByteBuffer] = []
            var inFlight = 0
            for index in 0..<session.totalChunks {
                var buffer = free.popLast() ?? ByteBuffer()
                try file.read(
                    into: &buffer,
                    offset: Int64(index) * session.chunkSize,
                    length: Int(session.length(of: index))
                )
                buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                guard missing.contains(index) else {
                    free.append(buffer)
                    continue
                }
                if inFlight >= self.options.concurrency, let done = try await group.next() {
                    free.append(done)
                    inFlight -= 1
                }
                let chunk = buffer
                group.addTask {
                    try await self.sendChunk(session, index: index, bytes: chunk)
                    sent(Int64(chunk.readableBytes))
                    return chunk
                }
                inFlight += 1
            }
            for try await _ in group {}
        }
        return Hex.lowercase(hasher.finalize())
    }

    // MARK: - Requests

    struct SessionInfo: Sendable {
        let id: String
        let size: Int64
        let chunkSize: Int64
        let totalChunks: Int
        var missing: [Int]
        var trackID: String?

        func length(of index: Int) -> Int64 {
            index == self.totalChunks - 1 ? self.size - Int64(index) * self.chunkSize : self.chunkSize
        }
    }

    /// Creates the session without a digest: the file is hashed while its chunks are sent, and
    /// the digest goes to `complete`.
    private func create(path: String, size: Int64) async throws -> SessionInfo {
        let body = CreateUploadRequest(
            filename: (path as NSString).lastPathComponent,
            size: size,
            title: self.options.title
        )
        let reply = try await self.send("POST", "/api/v1/uploads", json: body)
        guard reply.status == 201, let created = reply.decode(UploadCreated.self) else {
            throw reply.failure("create the upload")
        }
        return SessionInfo(
            id: created.id,
            size: size,
            chunkSize: created.chunkSize,
            totalChunks: created.totalChunks,
            missing: Array(0..<created.totalChunks)
        )
    }

    /// The remembered session, or nil when the server no longer has it receiving.
    private func resume(_ id: String) async throws -> SessionInfo? {
        let reply = try await self.send("GET", "/api/v1/uploads/\(id)")
        guard reply.status == 200, let state = reply.decode(UploadState.self) else { return nil }
        var info = SessionInfo(
            id: id,
            size: state.size,
            chunkSize: state.chunkSize,
            totalChunks: state.totalChunks,
            missing: state.missingChunks
        )
        switch state.status {
        case "completed":
            info.trackID = state.trackID
            return info
        case "receiving", "assembling": return info
        default: return nil
        }
    }

    private func sendChunk(_ session: SessionInfo, index: Int, bytes: ByteBuffer) async throws {
        let digest = bytes.withUnsafeReadableBytes { Hex.lowercase(SHA256.hash(data: $0)) }
        let reply = try await self.send(
            "PUT",
            "/api/v1/uploads/\(session.id)/chunks/\(index)",
            body: bytes,
            headers: [("X-Chunk-SHA256", digest), ("Content-Type", "application/octet-stream")]
        )
        guard reply.status == 200, reply.decode(ChunkReceipt.self)?.sha256 == digest else {
            throw reply.failure("send chunk \(index)")
        }
    }

    /// Completes the upload; the server refuses it (422, `checksum_mismatch`) unless the file it
    /// assembled has `sha256`.
    private func complete(_ id: String, sha256: String) async throws -> String {
        while true {
            let reply = try await self.send(
                "POST",
                "/api/v1/uploads/\(id)/complete",
                json: CompleteUploadRequest(sha256: sha256)
            )
            if reply.status == 200 || reply.status == 201, let completed = reply.decode(UploadCompleted.self) {
                return completed.track.id.lowercased()
            }
            // Another request is assembling: wait as the server asks.
            guard reply.status == 409, reply.error?.code == "assembly_in_progress" else {
                throw reply.failure("complete the upload")
            }
            try await Task.sleep(for: .seconds(reply.retryAfter ?? 2))
        }
    }

    /// A response: its status, body and `Retry-After`.
    struct Reply: Sendable {
        let status: Int
        let body: ByteBuffer
        let retryAfter: Int?

        func decode<T: Decodable>(_ type: T.Type) -> T? {
            try? APIJSON.decoder().decode(type, from: Data(self.body.readableBytesView))
        }

        var error: APIErrorBody.Detail? { self.decode(APIErrorBody.self)?.error }

        func failure(_ action: String) -> Failure {
            Failure(
                description: "cannot \(action): \(self.error?.message ?? "HTTP \(self.status)") (HTTP \(self.status))"
            )
        }
    }

    /// One request, retried with exponential backoff on connection errors, 5xx and 429.
    private func send(
        _ method: String,
        _ path: String,
        json: (any Encodable & Sendable)? = nil,
        body: ByteBuffer? = nil,
        headers extra: [(String, String)] = []
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: self.options.server + path)
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(self.options.token)")
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        var payload = body
        if let json {
            payload = ByteBuffer(bytes: try APIJSON.encoder().encode(json))
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        var attempt = 0
        while true {
            attempt += 1
            if let payload { request.body = .bytes(payload) }
            do {
                let response = try await self.httpClient.execute(request, timeout: .seconds(300))
                let data = try await response.body.collect(upTo: 1024 * 1024)
                let status = Int(response.status.code)
                if (status >= 500 || status == 429) && self.retry.allowsRetry(afterAttempt: attempt) {
                    try await Task.sleep(for: self.retry.backoff.delay(afterAttempt: attempt))
                    continue
                }
                return Reply(
                    status: status,
                    body: data,
                    retryAfter: response.headers.first(name: "Retry-After").flatMap(Int.init)
                )
            } catch let error as Failure {
                throw error
            } catch {
                guard self.retry.allowsRetry(afterAttempt: attempt) else {
                    throw Failure(description: "\(method) \(path) failed after \(attempt) attempts: \(error)")
                }
                try await Task.sleep(for: self.retry.backoff.delay(afterAttempt: attempt))
            }
        }
    }

    /// Requests are tried `attempts` times, waiting 0.5 s, 1 s, 2 s … up to 30 s (±25 %) in between.
    var retry: RetryPolicy {
        RetryPolicy(
            maximumAttempts: self.options.attempts,
            backoff: Backoff(base: .milliseconds(500), cap: .seconds(30), jitter: .proportional(0.25))
        )
    }

}

/// Counts bytes sent by concurrent chunk uploads.
final class ByteCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var sent: Int64
    private let total: Int64
    private let already: Int64

    init(total: Int64, already: Int64) {
        self.total = total
        self.already = already
        self.sent = already
    }

    var progress: UploadClient.Progress {
        self.lock.withLock { .init(sentBytes: self.sent, totalBytes: self.total, resumedBytes: self.already) }
    }

    func add(_ bytes: Int64) -> UploadClient.Progress {
        self.lock.withLock { self.sent += bytes }
        return self.progress
    }
}

/// Session ids remembered per file, in a small JSON file.
struct UploadClientState {
    let path: String?
    private(set) var sessions: [String: String] = [:]

    init(path: String?) {
        self.path = path
        if let path, let data = FileManager.default.contents(atPath: path),
            let decoded = try? JSONDecoder().decode([String: String].self, from: data)
        {
            self.sessions = decoded
        }
    }

    mutating func set(_ key: String, _ id: String) {
        self.sessions[key] = id
        self.save()
    }

    mutating func remove(_ key: String) {
        self.sessions[key] = nil
        self.save()
    }

    private func save() {
        guard let path else { return }
        try? FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        if let data = try? JSONEncoder().encode(self.sessions) {
            try? data.write(to: URL(fileURLWithPath: path), options: .atomic)
        }
    }
}
