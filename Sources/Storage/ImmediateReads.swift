import NIOCore

/// A store that can answer a small read at once, without waiting for a thread: page-cached local
/// files. The listener's fast path serves ranges and segments from it on the event loop, as nginx
/// does with its files, where a thread-pool hop costs more than the read itself.
public protocol ImmediateReads: Sendable {
    /// Opens `key`, reads the range `bodyRange` picks from the object's metadata (nil: no body),
    /// and closes it, blocking the calling thread. Nil when there is no such object. The metadata
    /// may leave out the content type (the caller knows it).
    ///
    /// - Throws: ``StorageError`` for a key the store refuses or an I/O failure;
    ///   ``ImmediateReadTooLarge`` when `bodyRange` asks more than ``OpenedObject/singleReadLimit``.
    func readNow(key: String, bodyRange: (ObjectInfo) -> ClosedRange<Int64>?) throws -> ImmediateRead?
}

/// What ``ImmediateReads/readNow(key:bodyRange:)`` read.
public struct ImmediateRead: Sendable {
    /// The object's metadata when it was opened.
    public var info: ObjectInfo
    /// The range asked for and where its bytes are; nil when no body was asked.
    public var body: (range: ClosedRange<Int64>, bytes: ImmediateBody)?
}

/// The bytes of an ``ImmediateRead``.
public enum ImmediateBody: Sendable {
    /// Read into memory.
    case bytes(ByteBuffer)
    /// Still in the open file, for a `FileRegion` (written with `sendfile`, no copy through
    /// memory). The receiver owns the handle and must close it, also when it does not write it.
    case file(NIOFileHandle)

    /// Closes the file handle, if there is one (a body that is not written after all).
    public func discard() {
        if case .file(let handle) = self { try? handle.close() }
    }
}

/// The body asked of ``ImmediateReads/readNow(key:bodyRange:)`` is longer than one read: the
/// caller serves it the waiting way (``ObjectStore/open(key:readAhead:)``).
public struct ImmediateReadTooLarge: Error, Sendable {}
