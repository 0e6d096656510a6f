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
        /// The wake count the driver had read before its last look at the spool, and how far it
        /// could send with what it saw then (what ``paced(_:until:wake:timeout:)`` waits on).
        var scannedWakes = -1
        var reach: Int64 = 0
    }

    private let lock = NSLock()
    // Guarded by `lock`.
    private var entries: [UUID: Entry] = [:]
    // Guarded by `lock`: set while the service runs.
    private var requests: AsyncStream<UUID>.Continuation?
    // Guarded by `lock`: bytes each completed hand-over carried (what tests look at).
    private var handedOver: [UUID: Int64] = [:]
    // Guarded by `lock`: who waits for a change of an upload's entry (``waitOnce``), by token.
    private var watchers: [UUID: [Int: CheckedContinuation<Bool, Never>]] = [:]
    private var nextWatcher = 0

    /// Changes the entries under the lock, then wakes whoever waits on `uploadID`.
    private func change<T>(_ uploadID: UUID, _ body: (inout [UUID: Entry]) -> T) -> T {
        let (result, woken) = self.lock.withLock {
            (body(&self.entries), self.watchers.removeValue(forKey: uploadID).map { Array($0.values) } ?? [])
        }
        for watcher in woken { watcher.resume(returning: false) }
        return result
    }

    /// Wakes one waiter (its deadline passed or it was cancelled); nothing if it already woke.
    private func fire(_ uploadID: UUID, _ token: Int) {
        let watcher = self.lock.withLock { self.watchers[uploadID]?.removeValue(forKey: token) }
        watcher?.resume(returning: false)
    }

    /// Returns true at once when `ready` holds for the upload's entry (nil: no driver); else
    /// false after the next change of that entry, at `deadline`, or on cancellation.
    private func waitOnce(
        _ uploadID: UUID,
        deadline: ContinuousClock.Instant,
        ready: (Entry?) -> Bool
    ) async -> Bool {
        let token: Int = self.lock.withLock {
            self.nextWatcher += 1
            return self.nextWatcher
        }
        let timer = Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            self.fire(uploadID, token)
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let answer: Bool? = self.lock.withLock {
                    if ready(self.entries[uploadID]) { return true }
                    if Task.isCancelled || ContinuousClock.now >= deadline { return false }
                    self.watchers[uploadID, default: [:]][token] = continuation
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        } onCancel: {
            self.fire(uploadID, token)
        }
    }

    /// Waits until `ready` holds for the upload's entry, or `timeout` passed, or the task is
    /// cancelled or the service shuts down.
    private func wait(_ uploadID: UUID, timeout: Duration, until ready: (Entry?) -> Bool) async {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, !Task.isCancelled, !Task.isShuttingDownGracefully {
            if await self.waitOnce(uploadID, deadline: deadline, ready: ready) { return }
        }
    }

    /// A chunk of `uploadID` is on disk: wakes its driver, or starts one.
    ///
    /// - Returns: The wake count this landing set (for ``paced(_:until:wake:timeout:)``), nil
    ///   when no driver of this process runs for the upload.
    @discardableResult
    func landed(_ uploadID: UUID) -> Int? {
        self.change(uploadID) { entries in
            if entries[uploadID] != nil {
                entries[uploadID]!.wakes += 1
                return entries[uploadID]!.wakes
            } else if let requests = self.requests {
                entries[uploadID] = Entry()
                if case .terminated = requests.yield(uploadID) {
                    entries[uploadID] = nil
                    return nil
                }
                return 0
            }
            return nil
        }
    }

    /// Waits until the upload's driver has sent the file's first `bytes`, so that chunks are not
    /// taken in much faster than the store takes the prefix (on two cores the receiving would
    /// otherwise starve the driver, and `complete` would send most of the file itself).
    ///
    /// Returns at once when no driver runs, when `complete` asked for the hand-over, or when the
    /// driver looked at the spool after landing `wake` and cannot get that far with what is there
    /// (a gap before these bytes); and after `timeout` in any case (a slow store slows the
    /// receiving down, never stops it).
    func paced(_ uploadID: UUID, until bytes: Int64, wake: Int, timeout: Duration) async {
        await self.wait(uploadID, timeout: timeout) { entry in
            guard let entry, !entry.takeRequested, entry.fed < bytes else { return true }
            return entry.scannedWakes >= wake && entry.reach < bytes
        }
    }

    /// Stops the upload's driver and returns what it stored, once its sends in flight finished;
    /// nil when no driver of this process has anything for it.
    func take(_ uploadID: UUID) async -> PrefixHandover? {
        await withCheckedContinuation { continuation in
            let answered: Bool = self.change(uploadID) { entries in
                guard entries[uploadID] != nil, entries[uploadID]!.taker == nil else { return false }
                entries[uploadID]!.takeRequested = true
                entries[uploadID]!.wakes += 1
                entries[uploadID]!.taker = continuation
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

    /// Waits until the wake count is no longer `seen` (a chunk landed, or `complete` asks), for
    /// at most `timeout`, or until the service shuts down.
    func waitForWake(_ uploadID: UUID, seen: Int, timeout: Duration) async {
        await self.wait(uploadID, timeout: timeout) { ($0?.wakes ?? 0) != seen }
    }

    func takeRequested(_ uploadID: UUID) -> Bool {
        self.lock.withLock { self.entries[uploadID]?.takeRequested ?? false }
    }

    func started(_ uploadID: UUID, key: String) {
        self.lock.withLock { self.entries[uploadID]?.key = key }
    }

    /// The driver looked at the spool after reading wake count `wakes`: with what it saw it can
    /// send up to `reach` bytes.
    func scanned(_ uploadID: UUID, wakes: Int, reach: Int64) {
        self.change(uploadID) { entries in
            entries[uploadID]?.scannedWakes = wakes
            entries[uploadID]?.reach = reach
        }
    }

    func sent(_ uploadID: UUID, upTo fed: Int64) {
        self.change(uploadID) { $0[uploadID]?.fed = fed }
    }

    /// The driver is done: a waiting `take` gets `handover` (nil: nothing).
    func finished(_ uploadID: UUID, handover: PrefixHandover?) {
        let taker: CheckedContinuation<PrefixHandover?, Never>? = self.change(uploadID) { entries in
            let entry = entries.removeValue(forKey: uploadID)
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
                // Waiting drivers and receipts look again, and see the shutdown.
                let waiting = self.lock.withLock {
                    defer { self.watchers = [:] }
                    return self.watchers.values.flatMap(\.values)
                }
                for watcher in waiting { watcher.resume(returning: false) }
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
