import Foundation

/// The authenticated caller.
public struct Identity: Sendable, Equatable {
    public enum Role: String, Sendable, Codable, CaseIterable {
        case user
        case admin
    }

    public var userID: UUID
    public var role: Role

    public init(userID: UUID, role: Role) {
        self.userID = userID
        self.role = role
    }

    public var isAdmin: Bool { self.role == .admin }
}
