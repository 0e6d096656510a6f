import ServiceLifecycle

/// Applies the migrations once the database service runs, then stays up until shutdown; for
/// `veza worker`, whose service group has no HTTP server to run them before it starts.
public struct MigrationService: Service {
    let components: AppServices

    public init(components: AppServices) {
        self.components = components
    }

    public func run() async throws {
        try await self.components.migrate()
        try? await gracefulShutdown()
    }
}
