import Database
import Foundation
import Logging
import StreamServer

/// Shared start-up for the subcommands: read and validate the configuration, or stop with one
/// clear line.
enum CommandSupport {
    static func configuration(host: String? = nil, port: Int? = nil) -> AppConfiguration {
        do {
            var configuration = try AppConfiguration(environment: ProcessInfo.processInfo.environment)
            try configuration.override(host: host, port: port)
            return configuration
        } catch {
            fail(error)
        }
    }

    /// Prints `veza: <reason>` to standard error and exits 1.
    static func fail(_ error: any Error) -> Never {
        FileHandle.standardError.write(Data("veza: \(error)\n".utf8))
        exit(1)
    }

    /// Builds the components and checks the database is reachable, failing fast otherwise.
    static func components(_ configuration: AppConfiguration) async -> AppServices {
        let logger = Logger.veza(level: configuration.logLevel)
        let components: AppServices
        do {
            components = try await AppServices(configuration: configuration, logger: logger)
        } catch {
            fail(error)
        }
        do {
            try await components.database.checkReachable()
        } catch {
            await components.shutdownWithoutRunning()
            fail(error)
        }
        return components
    }
}
