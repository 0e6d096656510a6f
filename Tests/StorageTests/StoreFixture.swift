import Crypto
import Foundation
import NIOCore
import Retry
import SignedURL
import Storage
import TestSupport
import Testing

/// The store implementations every ``ObjectStoreTests`` test runs against.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case fileSystem
    case s3

    var testDescription: String { self.rawValue }
}

/// The S3 server of this test run, from the environment `scripts/test.sh` sets up.
struct S3TestEnvironment: Sendable {
    var endpoint: String
    var region: String
    var credentials: AWSCredentials

    /// One bucket per test run.
    static let bucket = "veza-test-\(UInt32.random(in: 0...UInt32.max))-\(ProcessInfo.processInfo.processIdentifier)"

    static func load() throws -> S3TestEnvironment {
        let settings = try TestStore.s3Settings()
        return S3TestEnvironment(
            endpoint: settings.endpoint,
            region: settings.region,
            credentials: settings.credentials
        )
    }

    /// Creates the run's bucket once.
    static let bucketReady = Task<Void, any Error> {
        let store = try S3Store(configuration: try S3TestEnvironment.load().configuration())
        do {
            try await store.createBucketIfNeeded()
            try await store.shutdown()
        } catch {
            try? await store.shutdown()
            throw error
        }
    }

    func configuration(listPageSize: Int = 1000, retry: RetryPolicy = .s3) -> S3Store.Configuration {
        S3Store.Configuration(
            endpoint: self.endpoint,
            region: self.region,
            bucket: Self.bucket,
            credentials: self.credentials,
            retry: retry,
            listPageSize: listPageSize,
            partSize: 5 * 1024 * 1024,
            partConcurrency: 2
        )
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The secret of app-signed URLs in tests.
let testURLSecret = Array("veza-storage-tests-secret-0123456789".utf8)

/// Runs `body` with a fresh store of `kind`: an empty temporary directory, or the run's S3 bucket.
/// Each call gets its own key prefix (`prefix`) so that tests sharing the bucket do not meet.
func withStore(
    _ kind: StoreKind,
    listPageSize: Int = 1000,
    _ body: (_ store: any ObjectStore, _ prefix: String) async throws -> Void
) async throws {
    let prefix = "t-\(UUID().uuidString.lowercased())/"
    switch kind {
    case .fileSystem:
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "veza-storage-\(UUID().uuidString)"
        )
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = FileSystemStore(
            configuration: .init(
                root: directory.appendingPathComponent("objects").path,
                listPageSize: listPageSize,
                urlSigningSecret: testURLSecret
            )
        )
        try await body(store, prefix)
    case .s3:
        let environment = try S3TestEnvironment.load()
        try await S3TestEnvironment.bucketReady.value
        let store = try S3Store(configuration: environment.configuration(listPageSize: listPageSize))
        do {
            try await body(store, prefix)
        } catch {
            try? await store.shutdown()
            throw error
        }
        try await store.shutdown()
    }
}

/// Deterministic pseudo-random bytes (xorshift64*), so tests need no fixtures.
func testBytes(_ count: Int, seed: UInt64 = 1) -> ByteBuffer {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    var buffer = ByteBufferAllocator().buffer(capacity: count + 8)
    buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count + 8) { pointer in
        let words = pointer.bindMemory(to: UInt64.self)
        for index in 0..<((count + 7) / 8) {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            words[index] = (state &* 0x2545_F491_4F6C_DD1D).littleEndian
        }
        return count
    }
    return buffer
}

/// A body streamed in chunks of `chunkSize` bytes, of known length or not.
func streamBody(_ buffer: ByteBuffer, chunkSize: Int = 64 * 1024, knownLength: Bool = true) -> ObjectBody {
    var chunks: [ByteBuffer] = []
    var rest = buffer
    while rest.readableBytes > 0 {
        chunks.append(rest.readSlice(length: min(chunkSize, rest.readableBytes))!)
    }
    return .stream(AsyncChunks(chunks: chunks), length: knownLength ? Int64(buffer.readableBytes) : nil)
}

struct AsyncChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let chunks: [ByteBuffer]

    struct AsyncIterator: AsyncIteratorProtocol {
        var index = 0
        let chunks: [ByteBuffer]
        mutating func next() async -> ByteBuffer? {
            guard self.index < self.chunks.count else { return nil }
            defer { self.index += 1 }
            return self.chunks[self.index]
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: self.chunks) }
}

/// Reads a whole body (small objects in tests only).
func readAll(_ response: ObjectResponse) async throws -> ByteBuffer {
    try await response.body.collect(upTo: 64 * 1024 * 1024)
}

/// The SHA-256 of a body, streamed.
func sha256(of body: ObjectByteStream) async throws -> (digest: String, size: Int) {
    var hasher = SHA256()
    var size = 0
    for try await chunk in body {
        chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        size += chunk.readableBytes
    }
    return (hasher.finalize().map { String(format: "%02x", $0) }.joined(), size)
}

func sha256(of buffer: ByteBuffer) -> String {
    SHA256.hash(data: Array(buffer.readableBytesView)).map { String(format: "%02x", $0) }.joined()
}

func md5Hex(_ buffer: ByteBuffer) -> String {
    Insecure.MD5.hash(data: Array(buffer.readableBytesView)).map { String(format: "%02x", $0) }.joined()
}

/// The S3 ETag of a multipart object made of `parts`.
func multipartETag(_ parts: [ByteBuffer]) -> String {
    let digests = parts.flatMap { Array(Insecure.MD5.hash(data: Array($0.readableBytesView))) }
    return Insecure.MD5.hash(data: digests).map { String(format: "%02x", $0) }.joined() + "-\(parts.count)"
}

/// What `curl` got.
struct CurlResult {
    var status: Int
    var headers: String
    var body: Data

    func header(_ name: String) -> String? {
        for line in self.headers.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name.lowercased() {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}

/// Runs `curl` on a URL, as a user of a presigned URL would.
func curl(_ url: String, head: Bool = false, headers: [String] = []) throws -> CurlResult {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("veza-curl-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let headerFile = directory.appendingPathComponent("headers").path
    let bodyFile = directory.appendingPathComponent("body").path
    var arguments = ["-sS", "-g", "-D", headerFile, "-o", bodyFile, "-w", "%{http_code}", "--max-time", "30"]
    if head { arguments.append("-I") }
    for header in headers { arguments += ["-H", header] }
    arguments.append(url)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let status = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CurlResult(
        status: Int(String(decoding: status, as: UTF8.self)) ?? 0,
        headers: (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? "",
        body: FileManager.default.contents(atPath: bodyFile) ?? Data()
    )
}
