import Database

/// Tables owned by the Catalog module.
public enum CatalogMigrations {
    public static let all: [Migration] = [
        Migration(
            id: "0101_tracks",
            statements: [
                """
                CREATE TABLE tracks (
                    id {uuid} PRIMARY KEY,
                    owner_id {uuid} NOT NULL,
                    title TEXT NOT NULL,
                    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'unlisted', 'private')),
                    status TEXT NOT NULL CHECK (status IN ('uploading', 'processing', 'ready', 'failed')),
                    failure_reason TEXT,
                    storage_backend TEXT NOT NULL CHECK (storage_backend IN ('local', 's3')),
                    storage_key TEXT NOT NULL,
                    size_bytes {bigint} NOT NULL CHECK (size_bytes >= 0),
                    sha256 TEXT NOT NULL,
                    content_type TEXT NOT NULL,
                    duration_ms {bigint},
                    created_at {timestamp} NOT NULL,
                    updated_at {timestamp} NOT NULL
                )
                """,
                "CREATE INDEX tracks_owner ON tracks (owner_id, created_at)",
            ]
        ),
        Migration(
            id: "0102_track_outputs",
            statements: [
                "ALTER TABLE tracks ADD COLUMN hls_prefix TEXT",
                // JSON array of TrackOutputs.Rendition: read whole with the track, never queried into.
                "ALTER TABLE tracks ADD COLUMN renditions TEXT",
                "ALTER TABLE tracks ADD COLUMN loudness_lufs {double}",
                "ALTER TABLE tracks ADD COLUMN true_peak_dbtp {double}",
                "ALTER TABLE tracks ADD COLUMN waveform_key TEXT",
            ]
        ),
        Migration(
            id: "0103_track_stream_and_retranscode",
            statements: [
                "ALTER TABLE tracks ADD COLUMN stream_key TEXT",
                "ALTER TABLE tracks ADD COLUMN last_transcode_error TEXT",
            ]
        ),
        Migration(
            id: "0104_track_deletion",
            statements: [
                // Set once by the state machine's deletion; the row goes when its objects are gone.
                "ALTER TABLE tracks ADD COLUMN deleted_at {timestamp}",
                // Keyset pagination of a user's tracks, newest first.
                "CREATE INDEX tracks_owner_listing ON tracks (owner_id, created_at, id)",
            ]
        ),
    ]
}
