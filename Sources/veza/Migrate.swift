import ArgumentParser
import Foundation
import StreamServer

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending database migrations and exit.",
        discussion: "Safe to run twice and from several processes at once; `veza serve` also migrates on start."
    )

    func run() async throws {
        let configuration = CommandSupport.configuration()
        let components = await CommandSupport.components(configuration)
        do {
            let applied = try await components.database.withRunning {
                try await components.migrate()
            }
            await components.shutdownWithoutRunning()
            print(applied.isEmpty ? "database is up to date" : "applied \(applied.count) migration(s)")
        } catch {
            CommandSupport.fail(error)
        }
    }
}
