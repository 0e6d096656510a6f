import Logging
import ServiceLifecycle

/// The loop every periodic worker shares: wait for the schema, then run one pass every
/// `interval` until graceful shutdown. A failed pass is logged and the next one runs anyway, so a
/// database or provider outage never stops the service.
public struct PeriodicLoop: Sendable {
    let interval: Duration
    let readiness: ReadinessGate
    let logger: Logger
    /// The warning logged when a pass throws (a fixed message; the error goes in `error.message`).
    let failureMessage: Logger.Message

    /// - Parameters:
    ///   - interval: Time between the end of one pass and the start of the next.
    ///   - readiness: Opens once this process has applied the migrations.
    ///   - logger: For failed passes.
    ///   - failureMessage: The warning logged when a pass throws.
    public init(interval: Duration, readiness: ReadinessGate, logger: Logger, failureMessage: Logger.Message) {
        self.interval = interval
        self.readiness = readiness
        self.logger = logger
        self.failureMessage = failureMessage
    }

    /// Runs `pass` periodically; returns at graceful shutdown or cancellation.
    public func run(_ pass: @Sendable () async throws -> Void) async {
        guard await self.readiness.waitUnlessShuttingDown() else { return }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await pass()
            } catch {
                self.logger.warning(self.failureMessage, metadata: ["error.message": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }
}
