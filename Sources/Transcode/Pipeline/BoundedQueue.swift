import Foundation

/// Thrown into a producer when the consumer side of a queue has stopped.
struct PipelineStopped: Error {}

/// A blocking FIFO with a fixed capacity between two threads: `put` waits while it
/// is full (backpressure on the decoder), `take` waits while it is empty.
final class BoundedQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private var head = 0
    private let capacity: Int
    private var closed = false
    private var stopped = false

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Appends `item`, waiting for room. Throws `PipelineStopped` once `stop()` was called.
    func put(_ item: Element) throws {
        condition.lock()
        defer { condition.unlock() }
        while items.count - head >= capacity && !stopped {
            condition.wait()
        }
        if stopped { throw PipelineStopped() }
        items.append(item)
        condition.broadcast()
    }

    /// The next item; nil once the queue is closed and empty, or stopped.
    func take() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while items.count == head && !closed && !stopped {
            condition.wait()
        }
        if stopped || items.count == head { return nil }
        let item = items[head]
        head += 1
        if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return item
    }

    /// Whether `stop()` was called: a nil from `take` then means "abandon", not "done".
    var isStopped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped
    }

    /// No more items will be put; `take` drains what is left, then returns nil.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Abandons the queue: waiting producers throw, consumers get nil, items are dropped.
    func stop() {
        condition.lock()
        stopped = true
        items = []
        head = 0
        condition.broadcast()
        condition.unlock()
    }
}
