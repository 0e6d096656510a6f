import Foundation
import ServiceLifecycle

/// A one-way switch that says the schema is ready: workers start claiming only after the
/// migrations that create their tables have run in the same process.
public final class ReadinessGate: @unchecked Sendable {
    private let lock = NSLock()
    private var opened = false

    public init(open: Bool = false) {
        self.opened = open
    }

    public var isOpen: Bool { self.lock.withLock { self.opened } }

    public func open() {
        self.lock.withLock { self.opened = true }
    }

    /// Waits until the gate opens; throws `CancellationError` when the task is cancelled first.
    public func wait(pollingEvery interval: Duration = .milliseconds(50)) async throws {
        while !self.isOpen {
            try await Task.sleep(for: interval)
        }
    }

    /// Waits until the gate opens, for a service's `run()`: false when graceful shutdown or
    /// cancellation came first, and the service should return without starting its work.
    public func waitUnlessShuttingDown() async -> Bool {
        do {
            try await cancelWhenGracefulShutdown { try await self.wait() }
            return true
        } catch {
            return false
        }
    }
}
