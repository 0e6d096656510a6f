import Crypto
import Foundation
import Logging

/// Finds the HMAC secret for bearer tokens: `JWT_SECRET`, or one generated once and kept in the
/// data directory, so the embedded default works without set-up and survives restarts.
///
/// A secret shorter than ``minimumBytes`` is never used: a short or empty HMAC key makes tokens
/// forgeable, so a stored one stops the start with a line naming the file.
enum JWTSecret {
    /// The shortest secret tokens are signed or verified with.
    static let minimumBytes = 32

    static func resolve(configured: String?, dataDirectory: String, logger: Logger) throws -> String {
        if let configured {
            guard configured.utf8.count >= Self.minimumBytes else {
                throw ConfigurationError("JWT_SECRET is shorter than \(Self.minimumBytes) bytes")
            }
            return configured
        }
        let directory = (dataDirectory as NSString).appendingPathComponent("secrets")
        let path = (directory as NSString).appendingPathComponent("jwt-secret")
        if FileManager.default.fileExists(atPath: path) {
            return try Self.stored(at: path)
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
            if errno == EEXIST {
                // Another process won the race: its secret, checked like any stored one.
                return try Self.stored(at: path)
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

    /// The secret kept at `path`, refused when unreadable or too short (never regenerated over:
    /// tokens already minted with it, and other nodes sharing the data directory, depend on it).
    static func stored(at path: String) throws -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationError("\(path): the stored JWT secret cannot be read as UTF-8 text; fix or delete it")
        }
        let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard secret.utf8.count >= Self.minimumBytes else {
            throw ConfigurationError(
                "\(path): the stored JWT secret is shorter than \(Self.minimumBytes) bytes; delete the file to have a new one generated, or set JWT_SECRET"
            )
        }
        return secret
    }
}
