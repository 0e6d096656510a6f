import NIOCore
import NIOPosix

/// The body of a `put` or an `uploadPart`.
///
/// A ``bytes(_:)`` body is in memory: it can be sent again, so failed requests carrying it are
/// retried and its SHA-256 is signed. A ``file(atPath:chunkSize:threadPool:)`` body is read from
/// disk as it is sent and can be read again, so it is retried too (unsigned payload). A
/// ``stream(_:length:)`` body is pulled once, with backpressure, and is never retried: a failure
/// surfaces to the caller.
public struct ObjectBody: Sendable {
    enum Storage: Sendable {
        case buffer(ByteBuffer)
        case stream(ObjectByteStream, length: Int64?)
        case file(OpenFile, range: Range<Int64>, chunkSize: Int, threadPool: NIOThreadPool)
    }

    let storage: Storage

    /// A body held in memory.
    ///
    /// - Parameter buffer: The bytes; its readable bytes are the body.
    /// - Returns: A replayable body.
    public static func bytes(_ buffer: ByteBuffer) -> ObjectBody {
        ObjectBody(storage: .buffer(buffer))
    }

    /// A body held in memory.
    ///
    /// - Parameter bytes: The bytes.
    /// - Returns: A replayable body.
    public static func bytes(_ bytes: some Sequence<UInt8>) -> ObjectBody {
        ObjectBody(storage: .buffer(ByteBuffer(bytes: bytes)))
    }

    /// A body pulled from an asynchronous sequence of buffers, once.
    ///
    /// - Parameters:
    ///   - sequence: The buffers, in order.
    ///   - length: The total length in bytes when known. A wrong length fails the request.
    /// - Returns: A streaming, non-replayable body.
    public static func stream<Bytes: AsyncSequence & Sendable>(
        _ sequence: Bytes,
        length: Int64?
    ) -> ObjectBody where Bytes.Element == ByteBuffer {
        ObjectBody(storage: .stream(ObjectByteStream(sequence), length: length))
    }

    /// The length in bytes, when known.
    public var length: Int64? {
        switch self.storage {
        case .buffer(let buffer): return Int64(buffer.readableBytes)
        case .stream(_, let length): return length
        case .file(_, let range, _, _): return Int64(range.count)
        }
    }

    /// Whether the body can be sent more than once (and so be retried).
    public var isReplayable: Bool {
        if case .stream = self.storage { return false }
        return true
    }

    /// The body as a sequence of buffers (an in-memory body is one element). A stream body can
    /// be iterated once.
    public var byteStream: ObjectByteStream {
        switch self.storage {
        case .buffer(let buffer): return ObjectByteStream(CollectionOfOne(buffer).async)
        case .stream(let stream, _): return stream
        case .file(let file, let range, let chunkSize, let threadPool):
            return ObjectByteStream(
                FileChunkSequence(file: file, range: range, chunkSize: chunkSize, threadPool: threadPool)
            )
        }
    }
}

/// A type-erased asynchronous sequence of byte buffers: the body of an object being read or written.
///
/// Iterate it once. Dropping it before the end releases the underlying file or connection.
public struct ObjectByteStream: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    private let makeNext: @Sendable () -> () async throws -> ByteBuffer?

    /// Wraps an asynchronous sequence of buffers.
    ///
    /// - Parameter sequence: The buffers, in order.
    public init<Bytes: AsyncSequence & Sendable>(_ sequence: Bytes) where Bytes.Element == ByteBuffer {
        self.makeNext = {
            var iterator = sequence.makeAsyncIterator()
            return { try await iterator.next() }
        }
    }

    /// The iterator of an ``ObjectByteStream``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let nextBuffer: () async throws -> ByteBuffer?

        /// The next buffer, or nil at the end of the body.
        public mutating func next() async throws -> ByteBuffer? {
            try await self.nextBuffer()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(nextBuffer: self.makeNext())
    }

    /// Reads the whole body into one buffer, failing when it exceeds `maxBytes`.
    ///
    /// Meant for small objects (playlists, JSON); stream large ones instead.
    ///
    /// - Parameter maxBytes: The largest body accepted.
    /// - Returns: The body.
    /// - Throws: ``StorageError/entityTooLarge`` when the body is larger than `maxBytes`.
    public func collect(upTo maxBytes: Int) async throws -> ByteBuffer {
        var result = ByteBuffer()
        for try await var buffer in self {
            guard result.readableBytes + buffer.readableBytes <= maxBytes else {
                throw StorageError.entityTooLarge.with(message: "The body is larger than \(maxBytes) bytes.")
            }
            result.writeBuffer(&buffer)
        }
        return result
    }
}

/// An `AsyncSequence` over a synchronous sequence.
struct SyncAsyncSequence<Base: Sequence & Sendable>: AsyncSequence, Sendable where Base.Element: Sendable {
    typealias Element = Base.Element
    let base: Base

    struct AsyncIterator: AsyncIteratorProtocol {
        var iterator: Base.Iterator
        mutating func next() async -> Base.Element? { self.iterator.next() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(iterator: self.base.makeIterator()) }
}

extension Sequence where Self: Sendable, Element: Sendable {
    /// This sequence as an `AsyncSequence`.
    var async: SyncAsyncSequence<Self> { SyncAsyncSequence(base: self) }
}

/// An `AsyncSequence` whose errors are transformed.
struct MapErrorSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable {
    typealias Element = Base.Element
    let base: Base
    let transform: @Sendable (any Error) -> any Error

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let transform: @Sendable (any Error) -> any Error

        mutating func next() async throws -> Base.Element? {
            do {
                return try await self.base.next()
            } catch {
                throw self.transform(error)
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.base.makeAsyncIterator(), transform: self.transform)
    }
}

extension AsyncSequence where Self: Sendable {
    /// This sequence with its errors transformed.
    func mapErrors(_ transform: @escaping @Sendable (any Error) -> any Error) -> MapErrorSequence<Self> {
        MapErrorSequence(base: self, transform: transform)
    }
}
