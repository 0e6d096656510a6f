import Foundation

/// Who may see a track (the stream server's access policy reads this).
public enum TrackVisibility: String, Codable, Sendable, CaseIterable {
    /// Listed and playable by anyone.
    case `public`
    /// Playable by anyone with the id, not listed.
    case unlisted
    /// Only the owner, admins and holders of a share token, licence or plan.
    case `private`
}

/// Where a track is in its life; see ``Track/StateMachine``.
///
/// A track is created `processing` by ingest (its source is stored and verified, its transcode
/// queued in the same transaction), so there is no state for an upload in progress: that is the
/// upload session's.
public enum TrackStatus: String, Codable, Sendable, CaseIterable {
    case processing
    case ready
    case failed
}

/// Which object store holds a track's source and renditions.
public enum StorageBackendKind: String, Codable, Sendable, CaseIterable {
    case local
    case s3
}

/// A track: its owner, its stored source, and its processing state.
public struct Track: Codable, Sendable, Equatable, Identifiable {
    public var id: UUID
    public var ownerID: UUID
    public var title: String
    public var visibility: TrackVisibility
    public var status: TrackStatus
    /// Why processing failed, readable by the owner; `nil` unless `status == .failed`.
    public var failureReason: String?
    public var storageBackend: StorageBackendKind
    /// Object key of the source, `tracks/<ownerID>/<trackID>.<ext>`.
    public var storageKey: String
    public var sizeBytes: Int64
    /// Lowercase hex SHA-256 of the stored source.
    public var sha256: String
    public var contentType: String
    public var durationMs: Int64?
    /// Where the current HLS tree lives (`hls/<track>/<job>/`), once transcoded.
    public var hlsPrefix: String?
    /// JSON of `[TrackOutputs.Rendition]`; read it with ``renditionList``.
    public var renditions: String?
    public var loudnessLUFS: Double?
    public var truePeakDBTP: Double?
    public var waveformKey: String?
    /// Object key of `stream.m4a` (the 128 kb/s AAC as one progressive MP4), what listeners who
    /// may not have the original get from `/stream`.
    public var streamKey: String?
    /// Why the latest re-transcode of a ready track failed (the track kept its tree); nil after a
    /// success.
    public var lastTranscodeError: String?
    /// When the owner or an admin deleted the track: from then on it is never served, and a
    /// `track.cleanup` job removes its objects and then the row.
    public var deletedAt: Date?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UUID = UUID(),
        ownerID: UUID,
        title: String,
        visibility: TrackVisibility,
        status: TrackStatus,
        failureReason: String? = nil,
        storageBackend: StorageBackendKind,
        storageKey: String,
        sizeBytes: Int64,
        sha256: String,
        contentType: String,
        durationMs: Int64? = nil,
        createdAt: Date = Date(),
        updatedAt: Date = Date()
    ) {
        self.id = id
        self.ownerID = ownerID
        self.title = title
        self.visibility = visibility
        self.status = status
        self.failureReason = failureReason
        self.storageBackend = storageBackend
        self.storageKey = storageKey
        self.sizeBytes = sizeBytes
        self.sha256 = sha256
        self.contentType = contentType
        self.durationMs = durationMs
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Column names, also the JSON field names.
    enum CodingKeys: String, CodingKey {
        case id
        case ownerID = "owner_id"
        case title
        case visibility
        case status
        case failureReason = "failure_reason"
        case storageBackend = "storage_backend"
        case storageKey = "storage_key"
        case sizeBytes = "size_bytes"
        case sha256
        case contentType = "content_type"
        case durationMs = "duration_ms"
        case hlsPrefix = "hls_prefix"
        case renditions
        case loudnessLUFS = "loudness_lufs"
        case truePeakDBTP = "true_peak_dbtp"
        case waveformKey = "waveform_key"
        case streamKey = "stream_key"
        case lastTranscodeError = "last_transcode_error"
        case deletedAt = "deleted_at"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    /// The object key for a track's source: `tracks/<userID>/<trackID>.<ext>`.
    public static func sourceKey(ownerID: UUID, trackID: UUID, fileExtension: String) -> String {
        let ext = fileExtension.lowercased().filter { $0.isASCII && ($0.isLetter || $0.isNumber) }
        let suffix = ext.isEmpty ? "" : ".\(ext.prefix(8))"
        return "tracks/\(ownerID.uuidString.lowercased())/\(trackID.uuidString.lowercased())\(suffix)"
    }

    static let columns = """
        id, owner_id, title, visibility, status, failure_reason, storage_backend, storage_key, size_bytes, sha256, \
        content_type, duration_ms, hls_prefix, renditions, loudness_lufs, true_peak_dbtp, waveform_key, stream_key, \
        last_transcode_error, deleted_at, created_at, updated_at
        """

    /// The renditions of the current HLS tree.
    public var renditionList: [TrackOutputs.Rendition] {
        guard let json = self.renditions else { return [] }
        return (try? JSONDecoder().decode([TrackOutputs.Rendition].self, from: Data(json.utf8))) ?? []
    }
}
