import ArgumentParser
import Foundation
import StreamServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP API with the in-process transcode workers.",
        discussion: """
            Applies pending database migrations, then listens. Stops gracefully on SIGTERM or Ctrl-C: \
            the server stops accepting, workers hand their jobs back, the database closes.
            Examples:
              veza serve                       # SQLite + ./data, http://127.0.0.1:8080
              veza serve --host 0.0.0.0 --port 9000
              DATABASE_URL=postgres://veza@db/veza TRACK_STORAGE_BACKEND=s3 S3_ENDPOINT=… veza serve
            """
    )

    @Option(help: "Address to listen on (default 127.0.0.1; 0.0.0.0 for all interfaces).")
    var host: String?

    @Option(help: "TCP port to listen on (default 8080).")
    var port: Int?

    func run() async throws {
        let configuration = CommandSupport.configuration(host: self.host, port: self.port)
        let components = await CommandSupport.components(configuration)
        components.logger.info(
            "starting veza serve",
            metadata: [
                "database.location": "\(components.database.displayLocation)",
                "storage.backend": "\(configuration.storageBackend.rawValue)",
                "http.address": "\(configuration.host):\(configuration.port)",
            ]
        )
        do {
            try await buildServiceGroup(components, role: .serve).run()
            components.logger.info("veza serve stopped")
        } catch {
            CommandSupport.fail(error)
        }
    }
}
