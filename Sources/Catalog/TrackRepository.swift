import Database
import Foundation
import SQLKit

/// Reads and writes tracks. Status changes only through ``apply(_:to:now:on:)``.
public struct TrackRepository: Sendable {
    public let database: DatabaseClient

    public init(database: DatabaseClient) {
        self.database = database
    }

    /// Inserts a new track.
    ///
    /// - Parameter connection: A transaction's connection, to insert atomically with other writes
    ///   (ingest creates the track and its transcode job together).
    public func insert(_ track: Track, on connection: (any SQLDatabase)? = nil) async throws {
        try await (connection ?? self.database.sql).raw(
            """
            INSERT INTO tracks (\(unsafeRaw: Track.columns)) VALUES (
                \(bind: track.id), \(bind: track.ownerID), \(bind: track.title), \(bind: track.visibility.rawValue),
                \(bind: track.status.rawValue), \(bind: track.failureReason), \(bind: track.storageBackend.rawValue),
                \(bind: track.storageKey), \(bind: track.sizeBytes), \(bind: track.sha256), \(bind: track.contentType),
                \(bind: track.durationMs), \(bind: track.hlsPrefix), \(bind: track.renditions),
                \(bind: track.loudnessLUFS), \(bind: track.truePeakDBTP), \(bind: track.waveformKey),
                \(bind: track.createdAt), \(bind: track.updatedAt))
            """
        ).run()
    }

    /// Records a finished transcode: the track becomes `ready` with its outputs, in one guarded
    /// update (only a `processing` track moves).
    ///
    /// - Returns: The updated track and the HLS prefix it had before (to delete once nothing
    ///   points at it), or nil when it had none.
    public func markReady(_ id: UUID, outputs: TrackOutputs, now: Date = Date()) async throws -> (Track, String?) {
        let renditions = String(decoding: try JSONEncoder().encode(outputs.renditions), as: UTF8.self)
        return try await self.database.transaction { db in
            guard let current = try await self.find(id: id, on: db) else { throw TrackError.notFound }
            var machine = Track.StateMachine(status: current.status)
            guard case .transition(let from, let to, _) = machine.apply(.transcodeSucceeded) else {
                throw TrackError.invalidTransition(from: current.status, event: .transcodeSucceeded)
            }
            let updated = try await db.raw(
                """
                UPDATE tracks SET status = \(bind: to.rawValue), failure_reason = NULL,
                    duration_ms = \(bind: outputs.durationMs), hls_prefix = \(bind: outputs.hlsPrefix),
                    renditions = \(bind: renditions), loudness_lufs = \(bind: outputs.loudnessLUFS),
                    true_peak_dbtp = \(bind: outputs.truePeakDBTP), waveform_key = \(bind: outputs.waveformKey),
                    updated_at = \(bind: now)
                WHERE id = \(bind: id) AND status = \(bind: from.rawValue)
                RETURNING \(unsafeRaw: Track.columns)
                """
            ).first(decoding: Track.self)
            guard let updated else { throw TrackError.invalidTransition(from: from, event: .transcodeSucceeded) }
            let previous = current.hlsPrefix == outputs.hlsPrefix ? nil : current.hlsPrefix
            return (updated, previous)
        }
    }

    /// The track with this id, if any.
    public func find(id: UUID, on connection: (any SQLDatabase)? = nil) async throws -> Track? {
        try await (connection ?? self.database.sql).raw(
            "SELECT \(unsafeRaw: Track.columns) FROM tracks WHERE id = \(bind: id)"
        ).first(decoding: Track.self)
    }

    /// Applies a state-machine event to a track with a guarded update.
    ///
    /// - Returns: The updated track.
    /// - Throws: ``TrackError/notFound`` for an unknown id; ``TrackError/invalidTransition(from:event:)``
    ///   when the event does not apply to the track's status, including when another writer
    ///   changed it first.
    @discardableResult
    public func apply(
        _ event: Track.StateMachine.Event,
        to id: UUID,
        durationMs: Int64? = nil,
        now: Date = Date(),
        on connection: (any SQLDatabase)? = nil
    ) async throws -> Track {
        let db = connection ?? self.database.sql
        guard let current = try await self.find(id: id, on: db) else { throw TrackError.notFound }
        var machine = Track.StateMachine(status: current.status)
        switch machine.apply(event) {
        case .reject(let from):
            throw TrackError.invalidTransition(from: from, event: event)
        case .transition(let from, let to, let reason):
            let updated = try await db.raw(
                """
                UPDATE tracks SET status = \(bind: to.rawValue), failure_reason = \(bind: reason),
                    duration_ms = COALESCE(\(bind: durationMs), duration_ms), updated_at = \(bind: now)
                WHERE id = \(bind: id) AND status = \(bind: from.rawValue)
                RETURNING \(unsafeRaw: Track.columns)
                """
            ).first(decoding: Track.self)
            guard let updated else {
                // Someone else moved the track between our read and our write.
                throw TrackError.invalidTransition(from: from, event: event)
            }
            return updated
        }
    }
}

/// Why a track operation was refused.
public struct TrackError: Error, CustomStringConvertible, Equatable, Sendable {
    private enum Code: Equatable, Sendable {
        case notFound
        case invalidTransition
    }

    private let code: Code
    public let description: String

    public static let notFound = TrackError(code: .notFound, description: "track not found")

    public static func invalidTransition(from: TrackStatus, event: Track.StateMachine.Event) -> TrackError {
        TrackError(code: .invalidTransition, description: "cannot apply \(event) to a track that is \(from.rawValue)")
    }

    public var isInvalidTransition: Bool { self.code == .invalidTransition }
}
