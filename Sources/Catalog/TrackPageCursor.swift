import Foundation

/// Where a page of tracks ends, newest first: the `(created_at, id)` of its last track, so the next
/// page starts strictly after it (keyset pagination: stable while tracks are added or deleted).
///
/// Its text form, `<seconds since 2001>_<lowercase id>`, is opaque to clients. The time is written
/// as the shortest `Double` that reads back to the same value, so the bound parameter equals the
/// stored one exactly on both databases.
public struct TrackPageCursor: Sendable, Equatable, CustomStringConvertible {
    public var createdAt: Date
    public var id: UUID

    public init(createdAt: Date, id: UUID) {
        self.createdAt = createdAt
        self.id = id
    }

    /// The cursor after `track`.
    public init(after track: Track) {
        self.init(createdAt: track.createdAt, id: track.id)
    }

    /// Parses a cursor from ``description``; nil for anything else.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count <= 32, let seconds = Double(parts[0]), seconds.isFinite,
            let id = UUID(uuidString: String(parts[1]))
        else { return nil }
        self.init(createdAt: Date(timeIntervalSinceReferenceDate: seconds), id: id)
    }

    public var description: String {
        "\(self.createdAt.timeIntervalSinceReferenceDate)_\(self.id.uuidString.lowercased())"
    }
}

/// One page of tracks and the cursor of the next, nil on the last page.
public struct TrackPage: Sendable, Equatable {
    public var tracks: [Track]
    public var next: TrackPageCursor?
}
