import Crypto
import Foundation
import Logging

/// Finds the HMAC secret for bearer tokens: `JWT_SECRET`, or one generated once and kept in the
/// data directory, so the embedded default works without set-up and survives restarts.
enum JWTSecret {
    static func resolve(configured: String?, dataDirectory: String, logger: Logger) throws -> String {
        if let configured { return configured }
        let directory = (dataDirectory as NSString).appendingPathComponent("secrets")
        let path = (directory as NSString).appendingPathComponent("jwt-secret")
        if let existing = try? String(contentsOfFile: path, encoding: .utf8) {
            let secret = existing.trimmingCharacters(in: .whitespacesAndNewlines)
            if secret.utf8.count >= 32 { return secret }
        }
        try FileManager.default.createDirectory(
            atPath: directory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { bytes in
            bytes.map { String(format: "%02x", $0) }.joined()
        }
        // Written to a temporary file and linked into place: a concurrent start never reads half a
        // secret, and if another process won the race its secret is the one everybody uses.
        let temporary = path + ".\(getpid()).tmp"
        guard
            FileManager.default.createFile(
                atPath: temporary,
                contents: Data((secret + "\n").utf8),
                attributes: [.posixPermissions: 0o600]
            )
        else {
            throw ConfigurationError(
                "JWT_SECRET is not set and \(path) cannot be written; set JWT_SECRET or fix VEZA_DATA_DIR"
            )
        }
        defer { unlink(temporary) }
        if link(temporary, path) != 0 {
            if errno == EEXIST, let winner = try? String(contentsOfFile: path, encoding: .utf8) {
                return winner.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            throw ConfigurationError(
                "JWT_SECRET is not set and \(path) cannot be written; set JWT_SECRET or fix VEZA_DATA_DIR"
            )
        }
        logger.notice(
            "JWT_SECRET not set: generated a random secret for the embedded default",
            metadata: ["jwt_secret.path": "\(path)"]
        )
        return secret
    }
}
