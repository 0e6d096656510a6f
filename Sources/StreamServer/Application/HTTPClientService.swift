import AsyncHTTPClient
import ServiceLifecycle

/// Shuts the shared `HTTPClient` down when the service group stops (it must outlive every user).
struct HTTPClientService: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await self.client.shutdown()
    }
}
