import Foundation

/// Carries finished files from the encoding threads to the async task that writes
/// them to the sink (uploads, on S3), in the order they were finished.
///
/// At most `capacity` files wait at once: a slow sink blocks the encoders
/// (through this) and so the decoder, instead of filling memory with segments.
final class FileOutbox: @unchecked Sendable {
    struct File: Sendable {
        let relativePath: String
        let data: Data
    }

    let files: AsyncStream<File>
    private let continuation: AsyncStream<File>.Continuation
    private let slots: DispatchSemaphore
    private let cancellation: CancellationFlag

    init(capacity: Int, cancellation: CancellationFlag) {
        (files, continuation) = AsyncStream.makeStream(of: File.self)
        // Created at 0 and signalled up to `capacity`: libdispatch traps when a semaphore is
        // freed with a value below the one it was created with, as after a failed sink write.
        slots = DispatchSemaphore(value: 0)
        for _ in 0..<max(1, capacity) { slots.signal() }
        self.cancellation = cancellation
    }

    /// Queues a file, waiting while `capacity` files are still being written.
    /// Throws `CancellationError` if the transcode was cancelled meanwhile.
    func put(_ relativePath: String, _ data: Data) throws {
        while slots.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
            if cancellation.isCancelled { throw CancellationError() }
        }
        continuation.yield(File(relativePath: relativePath, data: data))
    }

    /// The writer finished one file: a waiting producer may go on.
    func written() { slots.signal() }

    /// No more files: ends the writer's loop.
    func finish() { continuation.finish() }
}
