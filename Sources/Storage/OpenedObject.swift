import NIOCore

/// An object opened for serving: its metadata, and reads of byte ranges of that same version.
///
/// ``ObjectStore/open(key:)`` makes one; a server answers a request from it without asking the
/// store about the object again. On the file-system store it holds the open descriptor (closed
/// when the last copy is released), so the metadata and the bytes can never come from two
/// versions of a file replaced in between.
public struct OpenedObject: Sendable {
    /// The object's metadata.
    public let info: ObjectInfo
    private let reader: @Sendable (ClosedRange<Int64>) async throws -> ByteBuffer?
    private let streamer: @Sendable (ClosedRange<Int64>) async throws -> ObjectByteStream
    /// A range read when the object was opened (its read-ahead).
    var prefetched: (range: ClosedRange<Int64>, buffer: ByteBuffer)? = nil

    /// Creates an opened object.
    ///
    /// - Parameters:
    ///   - info: The metadata.
    ///   - read: Reads a range (within the object) into one buffer, or nil when this object reads
    ///     ranges only as streams.
    ///   - stream: Streams a range (within the object).
    public init(
        info: ObjectInfo,
        read: @escaping @Sendable (ClosedRange<Int64>) async throws -> ByteBuffer?,
        stream: @escaping @Sendable (ClosedRange<Int64>) async throws -> ObjectByteStream
    ) {
        self.info = info
        self.reader = read
        self.streamer = stream
    }

    /// Ranges up to this many bytes are read into one buffer by ``read(_:)`` (one read on the
    /// thread pool); longer ones stream.
    public static let singleReadLimit: Int64 = 1024 * 1024

    /// A range of at most ``singleReadLimit`` bytes in one buffer (nil when the store streams only).
    ///
    /// - Parameter range: Offsets within the object, both inclusive.
    public func read(_ range: ClosedRange<Int64>) async throws -> ByteBuffer? {
        if let prefetched = self.prefetched, prefetched.range == range { return prefetched.buffer }
        guard Int64(range.count) <= Self.singleReadLimit else { return nil }
        return try await self.reader(range)
    }

    /// A range as a stream of buffers.
    ///
    /// - Parameter range: Offsets within the object, both inclusive.
    public func stream(_ range: ClosedRange<Int64>) async throws -> ObjectByteStream {
        try await self.streamer(range)
    }
}

extension ObjectStore {
    /// Opens an object through ``head(key:)`` and ranged ``get(key:range:)``s: the default for
    /// stores that have no cheaper way (the S3 store, whose objects are served by redirects).
    public func openByHead(key: String) async throws -> OpenedObject? {
        guard let info = try await self.head(key: key) else { return nil }
        return OpenedObject(
            info: info,
            read: { _ in nil },
            stream: { range in try await self.get(key: key, range: ByteRange(range)).body }
        )
    }
}
