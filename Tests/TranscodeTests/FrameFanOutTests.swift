import Foundation
import Testing

@testable import Transcode

/// The worker pool that shares the cores between the encoders and the analysis.
@Suite("Frame fan-out")
struct FrameFanOutTests {
    /// Records the pts of every frame it sees; spins for `cost` per frame, so consumers of
    /// unequal cost run side by side as the rungs of a ladder do.
    final class RecordingConsumer: FrameConsumer, @unchecked Sendable {
        let cost: Duration
        let failAt: Int64?
        private(set) var seen: [Int64] = []
        private(set) var finishCount = 0
        /// Which threads ran it (a consumer may move between workers, never run on two at once).
        private var running = false
        private(set) var overlapped = false

        init(cost: Duration = .zero, failAt: Int64? = nil) {
            self.cost = cost
            self.failAt = failAt
        }

        struct Failure: Error {}

        func consume(_ frame: Frame) throws {
            if running { overlapped = true }
            running = true
            defer { running = false }
            if frame.pts == failAt { throw Failure() }
            seen.append(frame.pts)
            let until = ContinuousClock.now + cost
            while ContinuousClock.now < until {}
        }

        func finish() throws { finishCount += 1 }
    }

    private func frames(_ count: Int) throws -> [Frame] {
        try (0..<count).map { index in
            let frame = try Frame()
            frame.pts = Int64(index)
            return frame
        }
    }

    @Test(arguments: [1, 2, 3, 8])
    func everyConsumerSeesEveryFrameInOrderAndFinishesOnce(workers: Int) throws {
        let consumers = [
            RecordingConsumer(cost: .microseconds(40)), RecordingConsumer(cost: .microseconds(20)),
            RecordingConsumer(cost: .microseconds(10)), RecordingConsumer(),
        ]
        let input = try frames(500)
        let fanOut = FrameFanOut(consumers: consumers, workerCount: workers, windowCapacity: 16, batchFrames: 4)
        let produced = try fanOut.run { publish in
            for frame in input { try publish(frame) }
            return input.count
        }
        #expect(produced == 500)
        for consumer in consumers {
            #expect(consumer.seen == Array(0..<500))
            #expect(consumer.finishCount == 1)
            #expect(!consumer.overlapped)
        }
    }

    /// The producer sleeps on every frame and is woken by whichever worker frees the window.
    @Test(arguments: [1, 2, 5])
    func aTinyWindowStillDeliversEverything(windowCapacity: Int) throws {
        let consumers = [RecordingConsumer(cost: .microseconds(20)), RecordingConsumer(), RecordingConsumer()]
        let input = try frames(300)
        try FrameFanOut(consumers: consumers, workerCount: 2, windowCapacity: windowCapacity, batchFrames: 2)
            .run { publish in
                for frame in input { try publish(frame) }
            }
        for consumer in consumers {
            #expect(consumer.seen == Array(0..<300))
            #expect(consumer.finishCount == 1)
        }
    }

    @Test func nothingToConsumeStillFinishes() throws {
        let consumers = [RecordingConsumer(), RecordingConsumer()]
        try FrameFanOut(consumers: consumers, workerCount: 2).run { _ in }
        #expect(consumers.allSatisfy { $0.finishCount == 1 && $0.seen.isEmpty })
    }

    /// A consumer's failure reaches the caller (not the producer's `PipelineStopped`), the
    /// producer stops publishing, and nobody finishes half an output.
    @Test func consumerFailureStopsEverything() throws {
        let failing = RecordingConsumer(failAt: 100)
        let other = RecordingConsumer()
        let input = try frames(10_000)
        var published = 0
        #expect(throws: RecordingConsumer.Failure.self) {
            try FrameFanOut(consumers: [other, failing], workerCount: 2, windowCapacity: 32, batchFrames: 4)
                .run { publish in
                    for frame in input {
                        try publish(frame)
                        published += 1
                    }
                }
        }
        #expect(published < 200, "\(published) frames published after the failure at 100")
        #expect(failing.finishCount == 0 && other.finishCount == 0)
    }

    @Test func producerFailureStopsTheWorkers() throws {
        struct DecodeFailure: Error {}
        let consumers = [RecordingConsumer(), RecordingConsumer()]
        let input = try frames(50)
        #expect(throws: DecodeFailure.self) {
            try FrameFanOut(consumers: consumers, workerCount: 2).run { publish in
                for frame in input { try publish(frame) }
                throw DecodeFailure()
            }
        }
        #expect(consumers.allSatisfy { $0.finishCount == 0 })
    }

    /// The costliest consumer is never left waiting while cheaper ones run ahead: least
    /// progress first keeps them within a few batches of each other.
    @Test func consumersAdvanceInStep() throws {
        final class Spread: @unchecked Sendable {
            let lock = NSLock()
            var counts: [Int]
            var widest = 0
            init(_ n: Int) { counts = Array(repeating: 0, count: n) }
            func saw(_ index: Int) {
                lock.lock()
                counts[index] += 1
                widest = max(widest, counts.max()! - counts.min()!)
                lock.unlock()
            }
        }
        final class Counting: FrameConsumer, @unchecked Sendable {
            let index: Int
            let spread: Spread
            let cost: Duration
            init(_ index: Int, _ spread: Spread, cost: Duration) {
                (self.index, self.spread, self.cost) = (index, spread, cost)
            }
            func consume(_ frame: Frame) throws {
                let until = ContinuousClock.now + cost
                while ContinuousClock.now < until {}
                spread.saw(index)
            }
            func finish() throws {}
        }
        let spread = Spread(3)
        let consumers = [
            Counting(0, spread, cost: .microseconds(60)), Counting(1, spread, cost: .microseconds(30)),
            Counting(2, spread, cost: .microseconds(30)),
        ]
        let input = try frames(600)
        try FrameFanOut(consumers: consumers, workerCount: 2, windowCapacity: 64, batchFrames: 4).run { publish in
            for frame in input { try publish(frame) }
        }
        #expect(spread.counts == [600, 600, 600])
        // Within the window, and in practice within a few batches.
        #expect(spread.widest <= 64, "\(spread.widest)")
    }
}
