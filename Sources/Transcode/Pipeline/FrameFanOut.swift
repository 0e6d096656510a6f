import Foundation

/// Thrown into the producer when a consumer failed and the fan-out stopped.
struct PipelineStopped: Error {}

/// Fans the decoded frames out to every consumer (one encoder per rendition, the analysis)
/// on a small pool of worker threads, one per core, instead of a thread per consumer.
///
/// Why: the rungs cost unequal time (256 kb/s takes about twice as long as 64 kb/s), and the
/// slowest decides the wall time. With a thread per consumer the kernel gives each the same
/// share of the cores, so the slowest rung runs at two thirds of a core until the cheap ones
/// finish. Here a worker that is free takes the consumer that is furthest behind (least
/// progress first, the costliest on a tie), so every consumer advances in step and the cores
/// stay busy until all of them finish together: the wall time is the total work divided by
/// the cores, or the slowest rung's own time if that is longer.
///
/// The frames sit in one window shared by all consumers (no per-consumer queue, no copy); a
/// frame is dropped once every consumer has passed it. The producer (the decoder, on the
/// calling thread) blocks while the window is full and is woken only once a quarter of it is
/// free again, on a semaphore of its own: a worker's end of batch wakes the other workers,
/// not the decoder (which would only find the window still full and take a core from an
/// encoder to go back to sleep). Workers take frames in batches, so hand-offs cost a few lock
/// round trips per batch rather than one wake-up per frame and consumer.
///
/// A consumer is only ever run by one worker at a time; the lock that hands it over orders
/// its accesses, so FFmpeg contexts may move between workers.
final class FrameFanOut: @unchecked Sendable {
    /// What the workers know of one consumer (guarded by `condition`).
    private struct Lane {
        /// Frames consumed (an index into the stream of frames).
        var progress = 0
        var busy = false
        var finished = false
    }

    private let condition = NSCondition()
    /// Never changes, so a worker reads it without the lock.
    private let consumers: [any FrameConsumer]
    private var lanes: [Lane]
    /// `window[i]` is frame number `windowStart + i`.
    private var window: [Frame] = []
    private var windowHead = 0
    private var windowStart = 0
    private var produced = 0
    private var producerDone = false
    private var failure: (any Error)?
    private var runningWorkers = 0
    /// The producer sleeps on `producerWake` (true), until the window has room or a failure.
    private var producerWaiting = false
    private let producerWake = DispatchSemaphore(value: 0)
    private let windowCapacity: Int
    private let batchFrames: Int
    private let workerCount: Int
    private let name: String

    /// - Parameters:
    ///   - consumers: costliest first: ties in progress go to the earlier one.
    ///   - workerCount: threads to run consumers on (at most one per consumer).
    ///   - windowCapacity: frames decoded ahead of the slowest consumer, at most.
    ///   - batchFrames: frames a worker hands one consumer per turn.
    init(
        consumers: [any FrameConsumer],
        workerCount: Int,
        windowCapacity: Int = 128,
        batchFrames: Int = 8,
        name: String = "veza.transcode.worker"
    ) {
        self.consumers = consumers
        lanes = Array(repeating: Lane(), count: consumers.count)
        self.workerCount = max(1, min(workerCount, consumers.count))
        self.windowCapacity = max(1, windowCapacity)
        self.batchFrames = max(1, min(batchFrames, windowCapacity))
        self.name = name
    }

    /// Worker threads for a machine: one per core, and at least two, so decoding and encoding
    /// overlap even on one core.
    static var defaultWorkerCount: Int { max(2, ProcessInfo.processInfo.activeProcessorCount) }

    /// Starts the workers, runs `produce` on the calling thread with a function that publishes
    /// one frame (blocking while the window is full), then waits until every consumer has
    /// consumed every frame and finished. Throws the first failure, the consumers' before a
    /// producer's `PipelineStopped`; after a failure, consumers are not finished (their output
    /// is abandoned).
    func run<Result>(produce: (_ publish: (Frame) throws -> Void) throws -> Result) throws -> Result {
        startWorkers()
        let result: Result
        do {
            result = try produce { frame in try self.publish(frame) }
        } catch {
            condition.lock()
            if failure == nil { failure = error }
            condition.broadcast()
            condition.unlock()
            let first = waitForWorkers()
            throw first ?? error
        }
        condition.lock()
        producerDone = true
        condition.broadcast()
        condition.unlock()
        if let failure = waitForWorkers() { throw failure }
        return result
    }

    private func startWorkers() {
        condition.lock()
        runningWorkers = workerCount
        condition.unlock()
        for index in 0..<workerCount {
            let thread = Thread { [self] in work() }
            thread.name = "\(name).\(index)"
            thread.start()
        }
    }

    private func waitForWorkers() -> (any Error)? {
        condition.lock()
        defer { condition.unlock() }
        while runningWorkers > 0 { condition.wait() }
        return failure
    }

    private func publish(_ frame: Frame) throws {
        condition.lock()
        if produced - windowStart >= windowCapacity && failure == nil {
            // Full: sleep until a quarter is free (`wakeProducerIfRoom`), so the decoder wakes
            // once per many frames. Only this thread publishes, so the room stays.
            producerWaiting = true
            condition.unlock()
            producerWake.wait()
            condition.lock()
        }
        defer { condition.unlock() }
        if failure != nil { throw PipelineStopped() }
        window.append(frame)
        produced += 1
        condition.broadcast()
    }

    /// One worker: repeatedly takes the idle consumer with the least progress that has work.
    private func work() {
        condition.lock()
        while failure == nil {
            guard let index = nextLane() else {
                if lanes.allSatisfy(\.finished) { break }
                condition.wait()
                continue
            }
            lanes[index].busy = true
            let start = lanes[index].progress
            let end = min(produced, start + batchFrames)
            let frames = Array(window[(windowHead + start - windowStart)..<(windowHead + end - windowStart)])
            let finishing = frames.isEmpty  // nextLane only offers an empty batch once decoding is done
            condition.unlock()

            var error: (any Error)?
            do {
                let consumer = consumers[index]
                for frame in frames { try consumer.consume(frame) }
                if finishing { try consumer.finish() }
            } catch let thrown {
                error = thrown
            }

            condition.lock()
            lanes[index].busy = false
            lanes[index].progress = end
            lanes[index].finished = finishing && error == nil
            if let error, failure == nil { failure = error }
            releaseConsumedFrames()
            wakeProducerIfRoom()
            condition.broadcast()
        }
        runningWorkers -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// The lane to run next, called with the lock held: not busy, not finished, with frames
    /// to consume (or, decoding done, nothing left but to finish); least progress first.
    private func nextLane() -> Int? {
        var best: Int?
        for index in lanes.indices {
            let lane = lanes[index]
            guard !lane.busy, !lane.finished, lane.progress < produced || producerDone else { continue }
            if let chosen = best, lanes[chosen].progress <= lane.progress { continue }
            best = index
        }
        return best
    }

    /// Wakes a waiting producer once a quarter of the window is free, or on a failure (lock held).
    private func wakeProducerIfRoom() {
        guard producerWaiting else { return }
        let resume = windowCapacity - max(1, windowCapacity / 4)
        guard failure != nil || produced - windowStart <= resume else { return }
        producerWaiting = false
        producerWake.signal()
    }

    /// Drops the frames every consumer has passed (lock held).
    private func releaseConsumedFrames() {
        let slowest = lanes.lazy.map(\.progress).min() ?? produced
        guard slowest > windowStart else { return }
        windowHead += slowest - windowStart
        windowStart = slowest
        if windowHead > windowCapacity {
            window.removeFirst(windowHead)
            windowHead = 0
        }
    }

}
