import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import Retry
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
            let digest = try Self.sha256(ofFile: path)
            session = try await self.create(path: path, size: size, sha256: digest)
            state.set(stateKey, session!.id)
        }
        let current = session!
        let missing = current.missing
        let counter = ByteCounter(total: size, already: size - missing.reduce(0) { $0 + current.length(of: $1) })
        progress(counter.progress)
        try await withThrowingTaskGroup(of: Void.self) { group in
            var iterator = missing.makeIterator()
            func next() -> Bool {
                guard let index = iterator.next() else { return false }
                group.addTask {
                    try await self.sendChunk(current, index: index, file: path)
                    progress(counter.add(current.length(of: index)))
                }
                return true
            }
            for _ in 0..<self.options.concurrency where !next() { break }
            for try await _ in group { _ = next() }
        }
        let trackID = try await self.complete(current.id)
        state.remove(stateKey)
        return trackID
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

    private func create(path: String, size: Int64, sha256: String) async throws -> SessionInfo {
        let body = CreateUploadRequest(
            filename: (path as NSString).lastPathComponent,
            size: size,
            sha256: sha256,
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

    private func sendChunk(_ session: SessionInfo, index: Int, file: String) async throws {
        let length = Int(session.length(of: index))
        guard let handle = FileHandle(forReadingAtPath: file) else { throw Failure(description: "cannot read \(file)") }
        try handle.seek(toOffset: UInt64(Int64(index) * session.chunkSize))
        let bytes = try handle.read(upToCount: length) ?? Data()
        try? handle.close()
        guard bytes.count == length else { throw Failure(description: "\(file) changed while uploading") }
        let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        let reply = try await self.send(
            "PUT",
            "/api/v1/uploads/\(session.id)/chunks/\(index)",
            body: ByteBuffer(bytes: bytes),
            headers: [("X-Chunk-SHA256", digest), ("Content-Type", "application/octet-stream")]
        )
        guard reply.status == 200, reply.decode(ChunkReceipt.self)?.sha256 == digest else {
            throw reply.failure("send chunk \(index)")
        }
    }

    private func complete(_ id: String) async throws -> String {
        while true {
            let reply = try await self.send("POST", "/api/v1/uploads/\(id)/complete")
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

    static func sha256(ofFile path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Failure(description: "cannot read \(path)") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let data = try handle.read(upToCount: 4 * 1024 * 1024), !data.isEmpty { hasher.update(data: data) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
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
