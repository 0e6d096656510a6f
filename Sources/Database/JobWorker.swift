import Foundation
import Logging
import Retry
import ServiceLifecycle

/// Does the work of one queue's jobs.
public protocol JobHandler: Sendable {
    /// The queue this handler serves.
    var queue: String { get }
    /// Attempts before a job is buried; also used when enqueueing.
    var maxAttempts: Int { get }
    /// Runs one attempt. Throwing schedules a retry (or buries the job when attempts are used up).
    /// The task is cancelled when the lease is lost or the worker shuts down.
    func handle(_ job: Job, logger: Logger) async throws
    /// Called once when the job is buried, e.g. to mark its track failed with the reason.
    func jobDied(_ job: Job, reason: String, logger: Logger) async
}

extension JobHandler {
    public var maxAttempts: Int { 5 }
    public func jobDied(_ job: Job, reason: String, logger: Logger) async {}
}

/// A worker loop: claim, run with a heartbeat, then complete, retry or bury. A `Service`, so it stops
/// on graceful shutdown, handing its current job back to the queue.
public struct JobWorker: Service {
    let queue: JobQueue
    let handler: any JobHandler
    let workerID: String
    let pollInterval: Duration
    let readiness: ReadinessGate
    let logger: Logger

    public init(
        queue: JobQueue,
        handler: any JobHandler,
        workerID: String = "\(ProcessInfo.processInfo.hostName)-\(getpid())-\(UUID().uuidString.prefix(8))",
        pollInterval: Duration = .milliseconds(500),
        readiness: ReadinessGate = ReadinessGate(open: true),
        logger: Logger
    ) {
        self.readiness = readiness
        self.queue = queue
        self.handler = handler
        self.workerID = workerID
        self.pollInterval = pollInterval
        var logger = logger
        logger[metadataKey: "worker.id"] = "\(workerID)"
        self.logger = logger
    }

    public func run() async throws {
        // The queue's table may not exist until this process's migrations have run.
        guard await self.readiness.waitUnlessShuttingDown() else { return }
        self.logger.info("worker started", metadata: ["job.queue": "\(self.handler.queue)"])
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let claim: JobQueue.Claim?
            do {
                claim = try await self.queue.claim(queue: self.handler.queue, workerID: self.workerID)
            } catch {
                self.logger.error("job claim failed", metadata: ["error.message": "\(error)"])
                claim = nil
            }
            switch claim {
            case .run(let job):
                await self.process(job)
            case .buried(let job, let reason):
                var logger = self.logger
                logger[metadataKey: "job.id"] = "\(job.id.uuidString.lowercased())"
                logger.error("job buried: attempts used up", metadata: ["error.message": "\(reason)"])
                await self.handler.jobDied(job, reason: reason, logger: logger)
            case nil:
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.pollInterval) }
            }
        }
        self.logger.info("worker stopped")
    }

    /// Runs one claimed job to an outcome the queue records.
    func process(_ job: Job) async {
        var logger = self.logger
        logger[metadataKey: "job.id"] = "\(job.id.uuidString.lowercased())"
        logger[metadataKey: "job.attempt"] = "\(job.attempts)"
        logger.info("job started")
        let outcome = await self.runWithHeartbeat(job, logger: logger)
        do {
            switch outcome {
            case .succeeded:
                try await self.queue.complete(job, workerID: self.workerID)
                logger.info("job succeeded")
            case .failed(let reason):
                switch try await self.queue.fail(job, workerID: self.workerID, error: reason) {
                case .retry(_, let delay, _):
                    logger.warning(
                        "job failed, will retry",
                        metadata: ["error.message": "\(reason)", "job.retry_after_s": "\(Int(delay.seconds))"]
                    )
                case .bury:
                    logger.error("job failed for good", metadata: ["error.message": "\(reason)"])
                    await self.handler.jobDied(job, reason: reason, logger: logger)
                default:
                    break
                }
            case .interrupted:
                try await self.queue.release(job, workerID: self.workerID)
                logger.info("job handed back on shutdown")
            case .leaseLost:
                logger.warning("job lease lost; another worker owns it now")
            }
        } catch {
            logger.error("job outcome not recorded", metadata: ["error.message": "\(error)"])
        }
    }

    enum Outcome: Sendable {
        case succeeded
        case failed(String)
        case interrupted
        case leaseLost
    }

    /// Runs the handler next to a heartbeat that renews the lease every third of its duration.
    /// Whichever ends first decides; the other is cancelled.
    private func runWithHeartbeat(_ job: Job, logger: Logger) async -> Outcome {
        let interval = Duration.seconds(max(self.queue.leaseDuration / 3, 0.05))
        return await withTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                do {
                    try await self.handler.handle(job, logger: logger)
                    return .succeeded
                } catch {
                    if Task.isCancelled { return Task.isShuttingDownGracefully ? .interrupted : nil }
                    return .failed(String(describing: error))
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    do {
                        try await Task.sleep(for: interval)
                    } catch {
                        return nil
                    }
                    guard (try? await self.queue.heartbeat(job, workerID: self.workerID)) != false else {
                        return .leaseLost
                    }
                }
                return nil
            }
            group.addTask {
                // Graceful shutdown interrupts the job instead of waiting for a long transcode.
                try? await gracefulShutdown()
                return Task.isCancelled ? nil : .interrupted
            }
            var outcome: Outcome = .interrupted
            for await result in group {
                if let result {
                    outcome = result
                    group.cancelAll()
                    break
                }
            }
            group.cancelAll()
            return outcome
        }
    }
}
