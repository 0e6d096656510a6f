import Database
import Foundation
import SQLKit

/// `webhook_events`: every provider event id, recorded once, by whoever handled it.
public struct WebhookEventLog: Sendable {
    let database: DatabaseClient

    public init(database: DatabaseClient) {
        self.database = database
    }

    /// Whether the event was recorded already (a redelivery): the cheap check before any work.
    public func contains(eventID: String) async throws -> Bool {
        try await self.database.sql.raw(
            "SELECT event_id FROM webhook_events WHERE event_id = \(bind: eventID)"
        ).first() != nil
    }

    /// Records the event; false when it was recorded before (the caller then changes nothing).
    /// Call it inside the transaction of the changes the event makes, so both commit or neither.
    public func record(
        eventID: String,
        eventType: String,
        objectID: String?,
        handledBy: String,
        now: Date,
        on connection: (any SQLDatabase)? = nil
    ) async throws -> Bool {
        try await (connection ?? self.database.sql).raw(
            """
            INSERT INTO webhook_events (event_id, event_type, object_id, handled_by, received_at)
            VALUES (\(bind: eventID), \(bind: eventType), \(bind: objectID), \(bind: handledBy), \(bind: now))
            ON CONFLICT (event_id) DO NOTHING RETURNING event_id
            """
        ).first() != nil
    }
}
