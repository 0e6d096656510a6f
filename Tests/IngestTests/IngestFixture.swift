import Catalog
import Crypto
import Database
import Foundation
import NIOCore
import SQLKit
import SignedURL
import Storage
import TestSupport
import Testing

@testable import Ingest

/// The stores every ingest test runs against.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case local
    case s3

    var testDescription: String { self.rawValue }
}

enum IngestTestError: Error, CustomStringConvertible {
    case setup(String)
    var description: String {
        switch self {
        case .setup(let message): message
        }
    }
}

/// The S3 server of this run (from `scripts/services.sh`), with a bucket of its own.
enum S3TestServer {
    static let bucket = "veza-ingest-\(UInt32.random(in: 0...UInt32.max))"

    static func configuration(bucket: String = S3TestServer.bucket) throws -> S3Store.Configuration {
        try TestStore.s3Configuration(bucket: bucket)
    }

    /// For the tests that sweep a whole bucket (garbage collection); only the serialized
    /// ``ExpiryTests`` use it.
    static let sweepBucket = "veza-ingest-sweep-\(UInt32.random(in: 0...UInt32.max))"

    static let sweepBucketReady = Task<Void, any Error> {
        let store = try S3Store(configuration: try S3TestServer.configuration(bucket: S3TestServer.sweepBucket))
        do {
            try await store.createBucketIfNeeded()
            try await store.shutdown()
        } catch {
            try? await store.shutdown()
            throw error
        }
    }

    /// Creates the bucket once per run.
    static let bucketReady = Task<Void, any Error> {
        let store = try S3Store(configuration: try S3TestServer.configuration())
        do {
            try await store.createBucketIfNeeded()
            try await store.shutdown()
        } catch {
            try? await store.shutdown()
            throw error
        }
    }
}

/// A migrated database, a store, a data directory and the service over them.
struct IngestHarness: Sendable {
    let service: UploadService
    let database: DatabaseClient
    let store: any ObjectStore
    let configuration: IngestConfiguration
    let kind: StoreKind

    static let migrations = CoreMigrations.all + CatalogMigrations.all + IngestMigrations.all

    /// Chunk size per store: S3 tests use files above one 5 MiB part so that assembly is multipart.
    static func chunkSize(_ kind: StoreKind) -> Int64 { kind == .s3 ? 2 * 1024 * 1024 : 16 * 1024 }
    /// A file size giving several chunks (and, on S3, three parts of 5 MiB, 5 MiB and the rest).
    static func fileSize(_ kind: StoreKind) -> Int { kind == .s3 ? 12 * 1024 * 1024 + 12_345 : 100_000 }

    static func with(
        _ engine: DatabaseEngine,
        _ kind: StoreKind,
        maxUploadBytes: Int64 = 100 * 1024 * 1024,
        ownBucket: Bool = false,
        _ body: @Sendable (IngestHarness) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "veza-ingest-\(UUID().uuidString)"
        )
        .path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await TestDatabase.with(engine, migrations: Self.migrations) { database in
            var configuration = IngestConfiguration(
                dataDirectory: directory,
                backend: kind == .s3 ? .s3 : .local,
                maxUploadBytes: maxUploadBytes
            )
            configuration.chunkSize = Self.chunkSize(kind)
            configuration.partSize = 5 * 1024 * 1024
            configuration.pipeCapacity = 256 * 1024
            switch kind {
            case .local:
                let store = FileSystemStore(
                    configuration: .init(root: (directory as NSString).appendingPathComponent("objects"))
                )
                try await body(Self(database: database, store: store, configuration: configuration, kind: kind))
            case .s3:
                try await S3TestServer.bucketReady.value
                // A test that sweeps the whole bucket gets its own, away from the other tests' uploads.
                // (One such bucket per run: SeaweedFS runs out of volumes with a bucket per test.)
                let bucket = ownBucket ? S3TestServer.sweepBucket : S3TestServer.bucket
                if ownBucket { try await S3TestServer.sweepBucketReady.value }
                let store = try S3Store(configuration: try S3TestServer.configuration(bucket: bucket))
                do {
                    try await body(Self(database: database, store: store, configuration: configuration, kind: kind))
                } catch {
                    try? await store.shutdown()
                    throw error
                }
                try await store.shutdown()
            }
        }
    }

    init(database: DatabaseClient, store: any ObjectStore, configuration: IngestConfiguration, kind: StoreKind) {
        self.database = database
        self.store = store
        self.configuration = configuration
        self.kind = kind
        self.service = UploadService(
            configuration: configuration,
            database: database,
            jobs: JobQueue(database: database),
            store: store,
            logger: TestDatabase.logger
        )
    }

    /// Creates a session for `data` (declaring its digest unless `declaredSHA256` overrides it).
    func create(
        owner: UUID,
        _ data: [UInt8],
        filename: String = "song.wav",
        declaredSHA256: String?? = nil
    ) async throws -> UploadSession {
        try await self.service.create(
            ownerID: owner,
            .init(
                filename: filename,
                size: Int64(data.count),
                sha256: declaredSHA256 ?? sha256Hex(data),
                title: "Test"
            )
        )
    }

    /// Sends chunk `index` of `data`.
    @discardableResult
    func send(
        _ session: UploadSession,
        _ data: [UInt8],
        index: Int,
        checksum: String? = nil,
        corrupt: Bool = false
    ) async throws -> UploadChunk {
        var bytes = chunk(of: data, session: session, index: index)
        if corrupt { bytes[bytes.count / 2] ^= 0xFF }
        return try await self.service.putChunk(
            uploadID: session.id,
            ownerID: session.ownerID,
            index: index,
            body: byteStream(bytes),
            checksum: checksum
        )
    }

    /// Sends every chunk, in order.
    func sendAll(_ session: UploadSession, _ data: [UInt8]) async throws {
        for index in 0..<session.totalChunks { try await self.send(session, data, index: index) }
    }

    /// The objects and multipart uploads left under an owner's prefix.
    func leftovers(owner: UUID) async throws -> (objects: [String], multipart: [String]) {
        let prefix = "tracks/\(owner.uuidString.lowercased())/"
        let objects = try await self.store.list(prefix: prefix).collect().map(\.key)
        let uploads = try await self.store.listMultipartUploads(prefix: prefix).map(\.upload.key)
        return (objects, uploads)
    }

    /// The SHA-256 of a stored object.
    func storedDigest(_ key: String) async throws -> (String, Int) {
        var hasher = SHA256()
        var size = 0
        for try await buffer in try await self.store.get(key: key).body {
            buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            size += buffer.readableBytes
        }
        return (hex(hasher.finalize()), size)
    }

    func count(_ sql: String) async throws -> Int {
        try await self.database.sql.raw("\(unsafeRaw: sql)").first()?.decode(column: "n", as: Int.self) ?? -1
    }

    func spoolExists(_ uploadID: UUID) -> Bool {
        FileManager.default.fileExists(
            atPath: ChunkSpool(directory: self.configuration.spoolDirectory).folder(for: uploadID)
        )
    }
}

func chunk(of data: [UInt8], session: UploadSession, index: Int) -> [UInt8] {
    let start = Int(session.chunkSize) * index
    let end = min(data.count, start + Int(session.chunkSize))
    return Array(data[start..<end])
}

func sha256Hex(_ bytes: [UInt8]) -> String { hex(SHA256.hash(data: bytes)) }

/// A body as a request would deliver it: several buffers.
func byteStream(_ bytes: [UInt8], piece: Int = 7_000) -> AsyncStream<ByteBuffer> {
    AsyncStream { continuation in
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + piece)
            continuation.yield(ByteBuffer(bytes: bytes[offset..<end]))
            offset = end
        }
        continuation.finish()
    }
}

/// A WAV file of `size` bytes: a valid header, then pseudo-random samples.
func wavFile(size: Int, seed: UInt64 = 1) -> [UInt8] {
    precondition(size > 44)
    var bytes = wavHeader(riffSize: UInt32(size - 8), dataSize: UInt32(size - 44))
    bytes.reserveCapacity(size)
    bytes.append(contentsOf: randomBytes(size - 44, seed: seed))
    return bytes
}

/// Deterministic pseudo-random bytes (xorshift64*).
func randomBytes(_ count: Int, seed: UInt64 = 7) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    var bytes = [UInt8](repeating: 0, count: count)
    var index = 0
    while index < count {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        var word = state &* 0x2545_F491_4F6C_DD1D
        for _ in 0..<8 where index < count {
            bytes[index] = UInt8(truncatingIfNeeded: word)
            word >>= 8
            index += 1
        }
    }
    return bytes
}

/// The `IngestError` a call throws, or nil.
func ingestError(_ body: () async throws -> Void) async -> IngestError? {
    do {
        try await body()
        return nil
    } catch let error as IngestError {
        return error
    } catch {
        Issue.record("unexpected error: \(error)")
        return nil
    }
}
