import Foundation

/// A thread-safe "stop now" flag, set from Swift task cancellation and read by
/// the pipeline threads and by FFmpeg's I/O interrupt callback.
///
/// With a deadline it also trips by itself once the deadline passes: the wall-clock limit of a
/// transcode is enforced wherever the flag is read (every packet, and FFmpeg's blocking reads),
/// without relying on a timer task being scheduled.
final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    let deadline: ContinuousClock.Instant?

    init(deadline: ContinuousClock.Instant? = nil) {
        self.deadline = deadline
    }

    var isCancelled: Bool {
        if isPastDeadline { return true }
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }

    /// Whether the deadline (if any) has passed.
    var isPastDeadline: Bool {
        guard let deadline else { return false }
        return ContinuousClock.now >= deadline
    }

    func cancel() {
        lock.lock()
        cancelled = true
        lock.unlock()
    }
}
