import Database
import Foundation
import SQLKit

/// Reads and writes tracks. Status, outputs and transcode errors change only through the state
/// machine: ``apply(_:to:now:on:)`` and ``markReady(_:outputs:now:)``, one guarded update each.
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
                \(bind: track.streamKey), \(bind: track.lastTranscodeError), \(bind: track.deletedAt), \(bind: track.createdAt), \(bind: track.updatedAt))
            """
        ).run()
    }

    /// Records a finished transcode in one guarded update: a `processing` track becomes `ready`
    /// with its outputs; a `ready` track (a re-transcode) switches to the new tree, guarded by the
    /// tree it has now, so a listener sees the old tree or the new one, never a mix.
    ///
    /// - Returns: The updated track and the HLS prefix it had before (to delete now that nothing
    ///   points at it), or nil when it had none.
    public func markReady(_ id: UUID, outputs: TrackOutputs, now: Date = Date()) async throws -> (Track, String?) {
        try await self.database.transaction { db in
            guard let current = try await self.find(id: id, on: db) else { throw TrackError.notFound }
            let updated = try await self.write(
                .transcodeSucceeded,
                current: current,
                outputs: outputs,
                now: now,
                on: db
            )
            let previous = current.hlsPrefix == outputs.hlsPrefix ? nil : current.hlsPrefix
            return (updated, previous)
        }
    }

    /// The track with this id, if any and not deleted (a deleted track is never served).
    public func find(id: UUID, on connection: (any SQLDatabase)? = nil) async throws -> Track? {
        try await (connection ?? self.database.sql).raw(
            "SELECT \(unsafeRaw: Track.columns) FROM tracks WHERE id = \(bind: id) AND deleted_at IS NULL"
        ).first(decoding: Track.self)
    }

    /// Applies a state-machine event to a track with a guarded update (a finished transcode goes
    /// through ``markReady(_:outputs:now:)``, which carries the outputs).
    ///
    /// - Returns: The updated track (unchanged when the machine accepts without a write: a
    ///   re-transcode requested for a ready track).
    /// - Throws: ``TrackError/notFound`` for an unknown id; ``TrackError/invalidTransition(from:event:)``
    ///   when the event does not apply to the track's status, including when another writer
    ///   changed it first.
    @discardableResult
    public func apply(
        _ event: Track.StateMachine.Event,
        to id: UUID,
        now: Date = Date(),
        on connection: (any SQLDatabase)? = nil
    ) async throws -> Track {
        let db = connection ?? self.database.sql
        guard let current = try await self.find(id: id, on: db) else { throw TrackError.notFound }
        return try await self.write(event, current: current, outputs: nil, now: now, on: db)
    }

    /// Runs the machine on `current` and performs its action: the only place a track's status,
    /// outputs or transcode error are written, always as one `UPDATE … WHERE status = <from>`.
    private func write(
        _ event: Track.StateMachine.Event,
        current: Track,
        outputs: TrackOutputs?,
        now: Date,
        on db: any SQLDatabase
    ) async throws -> Track {
        var machine = Track.StateMachine(status: current.status, isDeleted: current.deletedAt != nil)
        let invalid = TrackError.invalidTransition(from: current.status, event: event)
        var assignments: SQLQueryString
        var guardPrefix = false
        let from: TrackStatus
        let to: TrackStatus
        switch machine.apply(event) {
        case .reject:
            throw invalid
        case .accept:
            return current
        case .transition(let old, let new, let reason):
            (from, to) = (old, new)
            assignments = "failure_reason = \(bind: reason)"
            if new == .ready {
                guard let outputs else { throw TrackError.missingOutputs }
                assignments = "failure_reason = NULL, last_transcode_error = NULL, \(try Self.assignments(outputs))"
            }
        case .switchOutputs:
            guard let outputs else { throw TrackError.missingOutputs }
            (from, to) = (.ready, .ready)
            assignments = "last_transcode_error = NULL, \(try Self.assignments(outputs))"
            guardPrefix = true
        case .recordTranscodeError(let reason):
            (from, to) = (.ready, .ready)
            assignments = "last_transcode_error = \(bind: reason)"
        case .markDeleted(let old):
            (from, to) = (old, old)
            assignments = "deleted_at = \(bind: now)"
        }
        // A deleted track takes no further writes, whoever read it before the deletion.
        var condition: SQLQueryString =
            "id = \(bind: current.id) AND status = \(bind: from.rawValue) AND deleted_at IS NULL"
        if guardPrefix {
            condition =
                current.hlsPrefix.map { "\(condition) AND hls_prefix = \(bind: $0)" }
                ?? "\(condition) AND hls_prefix IS NULL"
        }
        let updated = try await db.raw(
            """
            UPDATE tracks SET status = \(bind: to.rawValue), \(assignments), updated_at = \(bind: now)
            WHERE \(condition)
            RETURNING \(unsafeRaw: Track.columns)
            """
        ).first(decoding: Track.self)
        // Nil: someone else moved the track (or switched its tree) between our read and our write.
        guard let updated else { throw invalid }
        return updated
    }

    static func assignments(_ outputs: TrackOutputs) throws -> SQLQueryString {
        let renditions = String(decoding: try JSONEncoder().encode(outputs.renditions), as: UTF8.self)
        return """
            duration_ms = \(bind: outputs.durationMs), hls_prefix = \(bind: outputs.hlsPrefix), \
            renditions = \(bind: renditions), loudness_lufs = \(bind: outputs.loudnessLUFS), \
            true_peak_dbtp = \(bind: outputs.truePeakDBTP), waveform_key = \(bind: outputs.waveformKey), \
            stream_key = \(bind: outputs.streamKey)
            """
    }
}

/// Why a track operation was refused.
public struct TrackError: Error, CustomStringConvertible, Equatable, Sendable {
    private enum Code: Equatable, Sendable {
        case notFound
        case invalidTransition
        case missingOutputs
    }

    private let code: Code
    public let description: String

    public static let notFound = TrackError(code: .notFound, description: "track not found")
    /// A finished transcode must say what it produced (``TrackRepository/markReady(_:outputs:now:)``).
    public static let missingOutputs = TrackError(code: .missingOutputs, description: "a ready track needs its outputs")

    public static func invalidTransition(from: TrackStatus, event: Track.StateMachine.Event) -> TrackError {
        TrackError(code: .invalidTransition, description: "cannot apply \(event) to a track that is \(from.rawValue)")
    }

    public var isInvalidTransition: Bool { self.code == .invalidTransition }
}
