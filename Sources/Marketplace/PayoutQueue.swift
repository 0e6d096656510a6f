import Foundation
import Logging
import ServiceLifecycle

/// What a payment's commit does with the payout row it wrote.
public protocol PayoutStarter: Sendable {
    /// Starts paying `transferID` out; never throws (a row not paid out stays for the retry worker).
    func start(_ transferID: UUID) async
}

extension TransferSender: PayoutStarter {
    /// Sends it now and returns when Stripe has answered (the `veza reconcile` command, tests).
    public func start(_ transferID: UUID) async { await self.send(transferID) }
}

/// Sends the payouts written by payment commits, off the webhook's request: Hyperswitch waits 5 s
/// for its answer, and a slow or failing Stripe (four attempts with backoff) must not spend them.
///
/// A `Service` in the process's `ServiceGroup`, at most ``concurrency`` sends at once. At graceful
/// shutdown it sends what is queued, then stops. An id that is never sent (the process died, or
/// more than ``capacity`` were waiting) is a `pending` row nobody sends: the
/// ``TransferRetryWorker`` picks it up, so the queue only makes payouts sooner.
public final class PayoutQueue: PayoutStarter, Service {
    let sender: TransferSender
    /// Sends in flight at most.
    public let concurrency: Int
    /// Ids waiting at most; beyond, the newest are dropped (the retry worker covers them).
    public let capacity: Int
    private let queued: AsyncStream<UUID>
    private let continuation: AsyncStream<UUID>.Continuation

    public init(sender: TransferSender, concurrency: Int = 4, capacity: Int = 10_000) {
        self.sender = sender
        self.concurrency = max(1, concurrency)
        self.capacity = max(1, capacity)
        (self.queued, self.continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingOldest(self.capacity))
    }

    /// Queues `transferID` and returns at once.
    public func start(_ transferID: UUID) async {
        if case .dropped = self.continuation.yield(transferID) {
            self.sender.logger.warning(
                "payout queue full; the retry worker will send this payout",
                metadata: ["transfer.id": "\(transferID.lowercased)"]
            )
        }
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                var running = 0
                for await transferID in self.queued {
                    if running == self.concurrency {
                        await group.next()
                        running -= 1
                    }
                    group.addTask { await self.sender.send(transferID) }
                    running += 1
                }
            }
        } onGracefulShutdown: {
            self.continuation.finish()
        }
    }
}
