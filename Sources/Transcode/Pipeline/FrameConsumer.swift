import Foundation

/// Something the decoded, resampled audio is fanned out to: an encoder per rendition,
/// and the analysis (loudness, peaks, waveform). Frames are read, never modified.
protocol FrameConsumer: AnyObject {
    func consume(_ frame: Frame) throws
    /// The last frame was consumed: drain and write what is left.
    func finish() throws
}

/// Runs a consumer on its own thread, fed through a bounded queue, so renditions
/// encode in parallel with each other and with decoding.
///
/// The wrapped consumer is only touched by the worker thread once started.
final class ThreadedConsumer: FrameConsumer, @unchecked Sendable {
    private let queue: BoundedQueue<Frame>
    private let done = DispatchSemaphore(value: 0)
    private var failure: (any Error)?  // written by the worker before it signals `done`
    private var joined = false

    init(_ consumer: any FrameConsumer, name: String, capacity: Int = 32) {
        let queue = BoundedQueue<Frame>(capacity: capacity)
        self.queue = queue
        let box = UncheckedBox(consumer)
        let thread = Thread { [self] in
            do {
                while let frame = queue.take() {
                    try box.value.consume(frame)
                }
                // Abandoned after a failure elsewhere or a cancellation: don't drain the encoder.
                if !queue.isStopped {
                    try box.value.finish()
                }
            } catch {
                failure = error
                queue.stop()  // wakes the decoder if it is blocked on a full queue
            }
            done.signal()
        }
        thread.name = name
        thread.start()
    }

    func consume(_ frame: Frame) throws {
        do {
            try queue.put(frame)
        } catch {
            // The worker failed; report its error rather than the queue's.
            try join()
            throw error
        }
    }

    func finish() throws {
        queue.close()
        try join()
    }

    /// Stops the worker without finishing its output (after a failure elsewhere).
    func abandon() {
        queue.stop()
        try? join()
    }

    private func join() throws {
        if !joined {
            done.wait()
            joined = true
        }
        if let failure { throw failure }
    }
}

/// Hands a non-Sendable value to exactly one other thread.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
