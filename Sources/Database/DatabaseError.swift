/// An error from the database layer: configuration, connection or a refused state change.
public struct DatabaseError: Error, CustomStringConvertible, Sendable {
    private enum Code: Sendable {
        case invalidURL
        case unreachable
        case migrationFailed
        case conflict
    }

    private let code: Code
    /// A readable explanation, safe to log and to show an operator.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { self.message }

    /// `DATABASE_URL` is not a usable SQLite path or `postgres://` URL.
    public static func invalidURL(_ message: String) -> Self { .init(.invalidURL, message) }
    /// The database server could not be reached at start-up.
    public static func unreachable(_ message: String) -> Self { .init(.unreachable, message) }
    /// A migration failed; nothing of it was kept.
    public static func migrationFailed(_ message: String) -> Self { .init(.migrationFailed, message) }
    /// A guarded update found the row in another state than expected.
    public static func conflict(_ message: String) -> Self { .init(.conflict, message) }

    public var isInvalidURL: Bool { self.code == .invalidURL }
    public var isUnreachable: Bool { self.code == .unreachable }
    public var isConflict: Bool { self.code == .conflict }
}
