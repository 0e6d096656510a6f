import Database

/// Tables owned by the Ingest module.
public enum IngestMigrations {
    public static let all: [Migration] = [
        Migration(
            id: "0201_upload_sessions",
            statements: [
                """
                CREATE TABLE upload_sessions (
                    id {uuid} PRIMARY KEY,
                    owner_id {uuid} NOT NULL,
                    filename TEXT NOT NULL,
                    declared_size {bigint} NOT NULL CHECK (declared_size > 0),
                    sha256 TEXT,
                    content_type TEXT,
                    title TEXT NOT NULL,
                    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'unlisted', 'private')),
                    chunk_size {bigint} NOT NULL CHECK (chunk_size > 0),
                    total_chunks INTEGER NOT NULL CHECK (total_chunks > 0),
                    status TEXT NOT NULL
                        CHECK (status IN ('receiving', 'assembling', 'completed', 'aborted', 'expired')),
                    track_id {uuid},
                    storage_key TEXT,
                    multipart_upload_id TEXT,
                    expires_at {timestamp} NOT NULL,
                    created_at {timestamp} NOT NULL,
                    updated_at {timestamp} NOT NULL
                )
                """,
                "CREATE INDEX upload_sessions_owner ON upload_sessions (owner_id, status)",
                "CREATE INDEX upload_sessions_expiry ON upload_sessions (status, expires_at)",
                """
                CREATE TABLE upload_chunks (
                    upload_id {uuid} NOT NULL REFERENCES upload_sessions (id) ON DELETE CASCADE,
                    chunk_index INTEGER NOT NULL CHECK (chunk_index >= 0),
                    size_bytes {bigint} NOT NULL CHECK (size_bytes >= 0),
                    sha256 TEXT NOT NULL,
                    received_at {timestamp} NOT NULL,
                    PRIMARY KEY (upload_id, chunk_index)
                )
                """,
            ]
        ),
        Migration(
            id: "0202_upload_writers",
            statements: [
                // One row per writer streaming into the spool (chunk_index -1: a tus writer, the whole
                // session); the primary key makes two writers of one chunk impossible.
                """
                CREATE TABLE upload_writers (
                    upload_id {uuid} NOT NULL REFERENCES upload_sessions (id) ON DELETE CASCADE,
                    chunk_index INTEGER NOT NULL CHECK (chunk_index >= -1),
                    owner_id {uuid} NOT NULL,
                    holder {uuid} NOT NULL,
                    reserved_bytes {bigint} NOT NULL CHECK (reserved_bytes >= 0),
                    expires_at {timestamp} NOT NULL,
                    PRIMARY KEY (upload_id, chunk_index)
                )
                """,
                "CREATE INDEX upload_writers_owner ON upload_writers (owner_id, expires_at)",
            ]
        ),
        Migration(
            id: "0203_upload_pending_aborts",
            statements: [
                // Every multipart upload an assembly started and that is not known to be completed or
                // aborted; multipart_upload_id is NULL while CreateMultipartUpload has not answered (the
                // retry then aborts whatever the store lists under the key, which is the attempt's own).
                """
                CREATE TABLE upload_pending_aborts (
                    object_key TEXT PRIMARY KEY,
                    upload_id {uuid} NOT NULL,
                    multipart_upload_id TEXT,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at {timestamp} NOT NULL,
                    created_at {timestamp} NOT NULL
                )
                """,
                "CREATE INDEX upload_pending_aborts_due ON upload_pending_aborts (next_attempt_at)",
                "CREATE INDEX upload_pending_aborts_upload ON upload_pending_aborts (upload_id)",
            ]
        ),
        Migration(
            id: "0204_upload_assemblers",
            statements: [
                // The node feeding an upload's prefix into the store while its chunks arrive (one per
                // upload; a crashed node's row lapses at expires_at).
                """
                CREATE TABLE upload_assemblers (
                    upload_id {uuid} PRIMARY KEY REFERENCES upload_sessions (id) ON DELETE CASCADE,
                    holder {uuid} NOT NULL,
                    expires_at {timestamp} NOT NULL
                )
                """
            ]
        ),
    ]
}
