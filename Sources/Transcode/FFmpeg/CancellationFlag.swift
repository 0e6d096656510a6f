import Foundation

/// A thread-safe "stop now" flag, set from Swift task cancellation and read by
/// the pipeline threads and by FFmpeg's I/O interrupt callback.
final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false

    var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }

    func cancel() {
        lock.lock()
        cancelled = true
        lock.unlock()
    }
}
