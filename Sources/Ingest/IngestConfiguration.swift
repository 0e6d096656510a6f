import Catalog
import Foundation

/// The knobs of the upload service.
public struct IngestConfiguration: Sendable {
    /// Where chunks wait for assembly: `<dataDir>/spool`.
    public var spoolDirectory: String
    /// Which store the tracks go to (recorded on each track).
    public var backend: StorageBackendKind
    /// `MAX_UPLOAD_AUDIO_MB` in bytes.
    public var maxUploadBytes: Int64
    /// Bytes per chunk, chosen by the server (default 10 MiB).
    public var chunkSize: Int64 = 10 * 1024 * 1024
    /// How long an unfinished session lives (default 24 h).
    public var sessionTTL: TimeInterval = 24 * 3600
    /// Unfinished sessions one user may hold at once.
    public var maxActiveSessionsPerUser = 20
    /// `MAX_SPOOL_MB_PER_USER` in bytes: what one user's unfinished uploads may hold in the spool,
    /// counting the writes in flight at their declared length (default twice ``maxUploadBytes``).
    public var maxSpoolBytesPerUser: Int64
    /// How long a writer's lease on an upload lasts without renewal (a crashed writer's lease
    /// lapses after this); a live writer renews it as its body streams.
    public var writerLeaseTTL: TimeInterval = 60
    /// How long a tus `PATCH` waits, its body unread, for the session's previous writer to finish
    /// (a client resuming after cutting a connection the server has not noticed yet).
    public var tusWriterPatience: Duration = .seconds(2)
    /// S3 part size for assembly (at least 5 MiB; default 10 MiB).
    public var partSize: Int64 = 10 * 1024 * 1024
    /// Parts uploading at once while the next one streams.
    public var partConcurrency = 2
    /// Bytes buffered between the spool reader and the store (per part being written).
    public var pipeCapacity = 2 * 1024 * 1024
    /// An assembly older than this is presumed dead (its process crashed) and may be restarted.
    public var staleAssemblyAfter: TimeInterval = 15 * 60
    /// How long the lease of the node feeding an upload's prefix into the store lasts without
    /// renewal (a crashed node's lapses after this; its multipart upload is then aborted by `complete`).
    public var assemblerLeaseTTL: TimeInterval = 60
    /// A prefix assembly with no new chunk for this long gives up (frees what it stored); `complete`
    /// then assembles from the spool.
    public var prefixIdleTimeout: TimeInterval = 10 * 60
    /// How often a waiting prefix assembly looks for chunks on disk that another node received.
    public var prefixPollInterval: Duration = .milliseconds(500)
    /// The longest a chunk's receipt waits for this process's prefix assembly to have sent the
    /// chunks before the previous one (the receiving is paced to the store; a slow store slows
    /// it down by at most this per chunk, then the chunk is acknowledged anyway).
    public var prefixPacingTimeout: Duration = .seconds(10)

    /// - Parameters:
    ///   - dataDirectory: `VEZA_DATA_DIR`; the spool goes in its `spool` folder.
    ///   - backend: The track store.
    ///   - maxUploadBytes: The largest file accepted.
    public init(dataDirectory: String, backend: StorageBackendKind, maxUploadBytes: Int64) {
        self.spoolDirectory = (dataDirectory as NSString).appendingPathComponent("spool")
        self.backend = backend
        self.maxUploadBytes = maxUploadBytes
        self.maxSpoolBytesPerUser = 2 * maxUploadBytes
    }
}
