import Database
import Foundation
import SQLKit

/// What owners and listeners browse and edit: pages of tracks, title and visibility, and the rows
/// of deleted tracks that a cleanup job removes once their objects are gone.
extension TrackRepository {
    /// Which of an owner's tracks a listing shows.
    public enum ListingScope: Sendable {
        /// Every track of the owner that is not deleted (the owner's own library).
        case all
        /// Only public tracks that are ready to play (anyone's view of a user).
        case publicReady
    }

    /// A page of `ownerID`'s tracks, newest first, ordered by `(created_at, id)`.
    ///
    /// - Parameters:
    ///   - after: The previous page's ``TrackPage/next``; nil for the first page.
    ///   - limit: Tracks per page (the caller checks the range).
    public func page(
        ownerID: UUID,
        scope: ListingScope,
        after cursor: TrackPageCursor?,
        limit: Int
    ) async throws -> TrackPage {
        var condition: SQLQueryString = "owner_id = \(bind: ownerID) AND deleted_at IS NULL"
        if case .publicReady = scope {
            condition =
                "\(condition) AND visibility = \(bind: TrackVisibility.public.rawValue) AND status = \(bind: TrackStatus.ready.rawValue)"
        }
        if let cursor {
            condition =
                "\(condition) AND (created_at < \(bind: cursor.createdAt) OR (created_at = \(bind: cursor.createdAt) AND id < \(bind: cursor.id)))"
        }
        // One more than asked tells whether another page follows.
        let rows = try await self.database.sql.raw(
            """
            SELECT \(unsafeRaw: Track.columns) FROM tracks WHERE \(condition)
            ORDER BY created_at DESC, id DESC LIMIT \(bind: limit + 1)
            """
        ).all(decoding: Track.self)
        let tracks = Array(rows.prefix(limit))
        let next = rows.count > limit ? tracks.last.map(TrackPageCursor.init(after:)) : nil
        return TrackPage(tracks: tracks, next: next)
    }

    /// Changes a track's title and/or visibility (not its status: that is the state machine's).
    ///
    /// - Returns: The updated track, or nil when there is no such track (or it was deleted).
    public func updateDetails(
        _ id: UUID,
        title: String?,
        visibility: TrackVisibility?,
        now: Date = Date()
    ) async throws -> Track? {
        var assignments: SQLQueryString = "updated_at = \(bind: now)"
        if let title { assignments = "\(assignments), title = \(bind: title)" }
        if let visibility { assignments = "\(assignments), visibility = \(bind: visibility.rawValue)" }
        return try await self.database.sql.raw(
            """
            UPDATE tracks SET \(assignments) WHERE id = \(bind: id) AND deleted_at IS NULL
            RETURNING \(unsafeRaw: Track.columns)
            """
        ).first(decoding: Track.self)
    }

    /// A deleted track's row, which still names its objects; nil once purged (or never deleted).
    public func findDeleted(id: UUID) async throws -> Track? {
        try await self.database.sql.raw(
            "SELECT \(unsafeRaw: Track.columns) FROM tracks WHERE id = \(bind: id) AND deleted_at IS NOT NULL"
        ).first(decoding: Track.self)
    }

    /// Removes the row of a deleted track, once its objects are gone; a live track is never touched.
    public func purgeDeleted(id: UUID) async throws {
        try await self.database.sql.raw(
            "DELETE FROM tracks WHERE id = \(bind: id) AND deleted_at IS NOT NULL"
        ).run()
    }
}
