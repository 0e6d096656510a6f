import NIOCore

/// A single-producer, single-consumer pipe of byte buffers holding at most about `capacity`
/// bytes: the writer waits while it is full, which is the backpressure between the spool reader
/// and the store's upload.
///
/// Either side may stop the other: ``finish(throwing:)`` ends the stream (optionally with an
/// error the reader sees instead of the end), ``cancel(_:)`` makes both sides fail at once.
actor BoundedPipe {
    private let capacity: Int
    private var buffers: [ByteBuffer] = []
    private var bufferedBytes = 0
    private var end: Result<Void, any Error>?
    private var cancellation: (any Error)?
    private var waitingReader: CheckedContinuation<Void, Never>?
    private var waitingWriter: CheckedContinuation<Void, Never>?

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Appends a buffer, waiting while the pipe is full.
    func write(_ buffer: ByteBuffer) async throws {
        while self.bufferedBytes >= self.capacity, self.cancellation == nil {
            await withCheckedContinuation { self.waitingWriter = $0 }
        }
        if let cancellation { throw cancellation }
        self.buffers.append(buffer)
        self.bufferedBytes += buffer.readableBytes
        self.wakeReader()
    }

    /// Ends the stream after the buffered bytes; with an error, the reader gets it instead of the end.
    func finish(throwing error: (any Error)? = nil) {
        guard self.end == nil else { return }
        self.end = error.map { .failure($0) } ?? .success(())
        self.wakeReader()
    }

    /// Stops both sides: pending and later reads and writes throw `error`.
    func cancel(_ error: any Error) {
        guard self.cancellation == nil else { return }
        self.cancellation = error
        self.buffers.removeAll()
        self.bufferedBytes = 0
        self.wakeReader()
        self.wakeWriter()
    }

    /// The next buffer, or nil at the end.
    func read() async throws -> ByteBuffer? {
        while self.buffers.isEmpty {
            if let cancellation { throw cancellation }
            switch self.end {
            case .success: return nil
            case .failure(let error): throw error
            case nil: await withCheckedContinuation { self.waitingReader = $0 }
            }
        }
        if let cancellation { throw cancellation }
        let buffer = self.buffers.removeFirst()
        self.bufferedBytes -= buffer.readableBytes
        self.wakeWriter()
        return buffer
    }

    private func wakeReader() {
        self.waitingReader?.resume()
        self.waitingReader = nil
    }

    private func wakeWriter() {
        self.waitingWriter?.resume()
        self.waitingWriter = nil
    }

    /// The pipe's content as an asynchronous sequence, for a store's streaming body.
    nonisolated var reader: Reader { Reader(pipe: self) }

    struct Reader: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let pipe: BoundedPipe

        struct AsyncIterator: AsyncIteratorProtocol {
            let pipe: BoundedPipe
            mutating func next() async throws -> ByteBuffer? { try await self.pipe.read() }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pipe: self.pipe) }
    }
}
