/// A Marketplace failure, with a stable code for logs and HTTP answers.
public struct MarketplaceError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: String, Sendable {
        case illegalTransition = "illegal_transition"
        case concurrentChange = "concurrent_change"
    }

    private let code: Code
    /// What happened, for the operator.
    public let message: String

    /// The stable code (`illegal_transition`, `concurrent_change`).
    public var codeString: String { self.code.rawValue }
    public var description: String { "\(self.code.rawValue): \(self.message)" }

    /// The state machine refuses the move; nothing was written.
    public static func illegalTransition(_ message: String) -> Self { Self(code: .illegalTransition, message: message) }
    /// The guarded update matched no row: another node moved the row first.
    public static func concurrentChange(_ message: String) -> Self { Self(code: .concurrentChange, message: message) }
}
