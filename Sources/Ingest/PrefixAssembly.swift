/// One upload's assembly while its chunks still arrive, as a value type without I/O.
///
/// The store's upload (an S3 multipart upload, or the local store's streamed temporary file) is
/// started once the first chunk is on disk and fed the contiguous prefix of the file as it grows;
/// `complete` takes it over and sends only the rest.
///
/// ```
/// waiting ──prefixGrew──▶ starting ──started──▶ open(fed) ──take──▶ closed (handed over)
///    ▲                       │                     │
///    └──────startFailed──────┘                     └──stop──▶ closed (abandoned: abort what is stored)
/// ```
///
/// On S3 the prefix is sent in whole parts of ``partSize`` bytes (only the file's last part may be
/// shorter); on the local store any contiguous bytes are sent as soon as they are on disk.
struct PrefixAssembly: Sendable, Equatable {
    enum State: Sendable, Equatable {
        /// Nothing in the store yet.
        case waiting
        /// The store's upload is being created.
        case starting
        /// The store's upload holds (or is being sent) the file's first `fed` bytes.
        case open(fed: Int64)
        /// Handed over to `complete`, or abandoned.
        case closed
    }

    /// The upload's declared size.
    let declaredSize: Int64
    /// Bytes per send (an S3 part), or nil for "whatever is contiguous" (the local store).
    let partSize: Int64?
    private(set) var state: State = .waiting

    init(declaredSize: Int64, partSize: Int64?) {
        self.declaredSize = declaredSize
        self.partSize = partSize
    }

    enum Event: Sendable, Equatable {
        /// The contiguous prefix on disk is now `bytes` long.
        case prefixGrew(to: Int64)
        /// The store's upload exists.
        case started
        /// The upload could not be started yet (e.g. the prefix is too short to tell its format).
        case startFailed
        /// `complete` claimed the upload and asks for what is stored.
        case take
        /// The lease was lost, the store failed, the session ended or nothing arrived for too long.
        case stop
    }

    enum Action: Sendable, Equatable {
        /// Create the store's upload.
        case start
        /// Send the file's bytes `offset ..< offset + length` (they are on disk).
        case send(offset: Int64, length: Int64)
        /// Nothing to do until the prefix grows.
        case wait
        /// Let the sends in flight finish, then give `complete` the store's upload holding `fed` bytes.
        case handOver(fed: Int64)
        /// Free what the store holds.
        case abandon
        /// Nothing to do, ever again for ``Event/take`` and ``Event/stop``.
        case none
    }

    /// How far the store's upload can be fed when the contiguous prefix on disk is `bytes` long:
    /// whole parts, or everything once the file is all there (any bytes on the local store).
    func reach(withPrefix bytes: Int64) -> Int64 {
        let available = min(bytes, self.declaredSize)
        guard let partSize = self.partSize, available < self.declaredSize else { return available }
        return available / partSize * partSize
    }

    mutating func apply(_ event: Event) -> Action {
        switch (self.state, event) {
        case (.waiting, .prefixGrew(let bytes)):
            guard bytes > 0 else { return .wait }
            self.state = .starting
            return .start
        case (.starting, .started):
            self.state = .open(fed: 0)
            return .wait
        case (.starting, .startFailed):
            self.state = .waiting
            return .wait
        case (.open(let fed), .prefixGrew(let bytes)):
            let available = min(bytes, self.declaredSize) - fed
            guard available > 0 else { return .wait }
            let length: Int64
            if let partSize = self.partSize {
                // A short part only as the file's last.
                guard available >= partSize || fed + available == self.declaredSize else { return .wait }
                length = min(partSize, available)
            } else {
                length = available
            }
            self.state = .open(fed: fed + length)
            return .send(offset: fed, length: length)
        case (.open(let fed), .take):
            self.state = .closed
            return .handOver(fed: fed)
        case (.open, .stop), (.starting, .stop):
            self.state = .closed
            return .abandon
        case (.waiting, .take), (.waiting, .stop), (.starting, .take):
            self.state = .closed
            return .none
        case (.closed, .started):
            // Taken or stopped while the store's upload was being created: free it.
            return .abandon
        case (.closed, _):
            return .none
        default:
            return .wait
        }
    }
}
