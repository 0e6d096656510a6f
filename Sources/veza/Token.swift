import ArgumentParser
import Foundation
import Logging
import StreamServer

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mint a development bearer token (HS256 JWT) for a user.",
        discussion: """
            Uses JWT_SECRET, or the secret the embedded default generated in VEZA_DATA_DIR, so the \
            token works against a `veza serve` with the same configuration. The token is printed \
            alone on the last line:
              TOKEN=$(veza token --user 6f1c0c7e-5d1f-4a8e-9b1e-2f3a4b5c6d7e | tail -n1)
              curl -H "Authorization: Bearer $TOKEN" localhost:8080/api/v1/me
            """
    )

    @Option(help: "The user id (a UUID) the token speaks for.")
    var user: String

    @Option(help: "user or admin.")
    var role: String = "user"

    @Option(help: "Lifetime in seconds (default one day).")
    var expires: Int = 86400

    func validate() throws {
        guard UUID(uuidString: self.user) != nil else {
            throw ValidationError("--user must be a UUID, got '\(self.user)'")
        }
        guard Identity.Role(rawValue: self.role) != nil else { throw ValidationError("--role must be user or admin") }
        guard (60...31_536_000).contains(self.expires) else {
            throw ValidationError("--expires must be between 60 and 31536000 seconds")
        }
    }

    func run() async throws {
        let configuration = CommandSupport.configuration()
        var logger = Logger.veza(level: configuration.logLevel)
        logger.logLevel = max(logger.logLevel, .notice)
        do {
            try FileManager.default.createDirectory(
                atPath: configuration.dataDirectory,
                withIntermediateDirectories: true
            )
            let tokens = try await AccessTokens(configuration: configuration, logger: logger)
            let identity = Identity(userID: UUID(uuidString: self.user)!, role: Identity.Role(rawValue: self.role)!)
            print(try await tokens.mint(identity, lifetime: .seconds(self.expires)))
        } catch {
            CommandSupport.fail(error)
        }
    }
}
