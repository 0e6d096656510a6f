import Crypto
import Foundation
import ServiceLifecycle
import Storage

/// What a prefix assembly hands `complete`: the store's upload at `key`, holding the file's first
/// `fed` bytes, with the digest state of those bytes.
struct PrefixHandover: Sendable {
    /// The store's upload.
    enum Sink: Sendable {
        /// An S3 multipart upload and its parts, all finished.
        case multipart(MultipartUpload, parts: [CompletedPart])
        /// A streamed `put` (the local store's temporary file), fed through `pipe`.
        case stream(BoundedPipe, put: Task<Void, any Error>)

        /// The multipart upload and its parts, if this is one.
        var multipart: (upload: MultipartUpload, parts: [CompletedPart])? {
            guard case .multipart(let upload, let parts) = self else { return nil }
            return (upload, parts)
        }

        /// The streamed put's pipe and task, if this is one.
        var stream: (BoundedPipe, Task<Void, any Error>)? {
            guard case .stream(let pipe, let put) = self else { return nil }
            return (pipe, put)
        }
    }

    let trackID: UUID
    let key: String
    let contentType: String
    let fed: Int64
    let hasher: SHA256
    /// The chunk files the bytes came from, by index (nil: the file changed while it was opened).
    let identities: [Int: FileIdentity?]
    let sink: Sink
}

/// The uploads of this process whose prefix is being fed into the store while their chunks arrive
/// (one ``PrefixAssembly`` driver each, under an ``AssemblerLease``), and the hand-over to `complete`.
///
/// Drivers run only while ``UploadService/prefixAssemblyService`` runs; without it every upload
/// is assembled by `complete` from the spool, as before.
final class PrefixAssemblies: @unchecked Sendable {
    private struct Entry {
        /// Bumped by every chunk that lands and by a take, so a waiting driver looks again.
        var wakes = 0
        var taker: CheckedContinuation<PrefixHandover?, Never>?
        var takeRequested = false
        var key: String?
        var fed: Int64 = 0
    }

    private let lock = NSLock()
    // Guarded by `lock`.
    private var entries: [UUID: Entry] = [:]
    // Guarded by `lock`: set while the service runs.
    private var requests: AsyncStream<UUID>.Continuation?
    // Guarded by `lock`: bytes each completed hand-over carried (what tests look at).
    private var handedOver: [UUID: Int64] = [:]

    /// A chunk of `uploadID` is on disk: wakes its driver, or starts one.
    func landed(_ uploadID: UUID) {
        self.lock.withLock {
            if self.entries[uploadID] != nil {
                self.entries[uploadID]!.wakes += 1
            } else if let requests = self.requests {
                self.entries[uploadID] = Entry()
                if case .terminated = requests.yield(uploadID) { self.entries[uploadID] = nil }
            }
        }
    }

    /// Stops the upload's driver and returns what it stored, once its sends in flight finished;
    /// nil when no driver of this process has anything for it.
    func take(_ uploadID: UUID) async -> PrefixHandover? {
        await withCheckedContinuation { continuation in
            let answered: Bool = self.lock.withLock {
                guard self.entries[uploadID] != nil, self.entries[uploadID]!.taker == nil else { return false }
                self.entries[uploadID]!.takeRequested = true
                self.entries[uploadID]!.wakes += 1
                self.entries[uploadID]!.taker = continuation
                return true
            }
            if !answered { continuation.resume(returning: nil) }
        }
    }

    /// The object key a live driver of this process writes, if any (its pending-abort record is not
    /// to be aborted by `complete`, which takes it over).
    func liveKey(_ uploadID: UUID) -> String? {
        self.lock.withLock { self.entries[uploadID]?.key }
    }

    /// How many bytes the upload's driver has sent or is sending.
    func fed(_ uploadID: UUID) -> Int64 {
        self.lock.withLock { self.entries[uploadID]?.fed ?? 0 }
    }

    /// How many bytes `complete` found already sent, for the uploads that were handed over.
    func handedOverBytes(_ uploadID: UUID) -> Int64? {
        self.lock.withLock { self.handedOver[uploadID] }
    }

    // MARK: The driver's side

    func wakes(_ uploadID: UUID) -> Int {
        self.lock.withLock { self.entries[uploadID]?.wakes ?? 0 }
    }

    func takeRequested(_ uploadID: UUID) -> Bool {
        self.lock.withLock { self.entries[uploadID]?.takeRequested ?? false }
    }

    func started(_ uploadID: UUID, key: String) {
        self.lock.withLock { self.entries[uploadID]?.key = key }
    }

    func sent(_ uploadID: UUID, upTo fed: Int64) {
        self.lock.withLock { self.entries[uploadID]?.fed = fed }
    }

    /// The driver is done: a waiting `take` gets `handover` (nil: nothing).
    func finished(_ uploadID: UUID, handover: PrefixHandover?) {
        let taker: CheckedContinuation<PrefixHandover?, Never>? = self.lock.withLock {
            let entry = self.entries.removeValue(forKey: uploadID)
            if let handover, entry?.taker != nil { self.handedOver[uploadID] = handover.fed }
            return entry?.taker
        }
        taker?.resume(returning: handover)
    }

    /// Runs `drive` for each upload that gets its first chunk, until cancelled or shut down
    /// (drivers then abandon what they stored; a cancelled one leaves it, as a crash would).
    func serve(_ drive: @escaping @Sendable (UUID) async -> Void) async {
        let (stream, continuation) = AsyncStream<UUID>.makeStream()
        self.lock.withLock { self.requests = continuation }
        await withDiscardingTaskGroup { group in
            await withGracefulShutdownHandler {
                for await uploadID in stream {
                    group.addTask { await drive(uploadID) }
                }
            } onGracefulShutdown: {
                continuation.finish()
            }
            // Drivers see the shutdown and stop; a cancellation stops them where they are.
        }
        let waiting: [CheckedContinuation<PrefixHandover?, Never>] = self.lock.withLock {
            self.requests = nil
            let takers = self.entries.values.compactMap(\.taker)
            self.entries = [:]
            return takers
        }
        for taker in waiting { taker.resume(returning: nil) }
    }
}

/// Feeds each upload's prefix into the store while its chunks arrive (see ``PrefixAssemblies``).
struct PrefixAssemblyService: Service {
    let uploads: UploadService

    func run() async throws {
        let uploads = self.uploads
        await uploads.prefixes.serve { uploadID in await uploads.drivePrefix(uploadID) }
    }
}
