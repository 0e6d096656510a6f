import NIOCore

extension ObjectStore {
    /// Uploads a stream of any length in parts, several in flight.
    ///
    /// The stream is cut into parts of `partSize` bytes held in memory (so each part upload can be
    /// retried); at most `concurrency` parts upload at once while the next one fills, and part
    /// buffers are reused, so memory stays near `(concurrency + 1) × partSize` plus what the
    /// allocator keeps (measured over 256 MiB with 10 MiB parts: 62 MiB over idle at concurrency 2,
    /// 73 MiB at 3, with glibc's default dynamic mmap threshold). When the data is in a file, pass
    /// ``ObjectBody/file(atPath:chunkSize:threadPool:)`` to ``uploadInParts(key:body:partSize:concurrency:options:)``
    /// instead: parts then stream from disk (25 MiB over idle for 256 MiB at concurrency 3).
    /// A stream that ends within the first part is written with a single `put`. On failure the
    /// multipart upload is aborted.
    ///
    /// - Parameters:
    ///   - key: The object key.
    ///   - body: The content.
    ///   - partSize: Bytes per part, at least 5 MiB (default 10 MiB).
    ///   - concurrency: Parts uploading at once (default 3).
    ///   - options: The content type.
    /// - Returns: The key and the object's ETag.
    public func uploadInParts<Bytes: AsyncSequence & Sendable>(
        key: String,
        from body: Bytes,
        partSize: Int = 10 * 1024 * 1024,
        concurrency: Int = 3,
        options: PutOptions = PutOptions()
    ) async throws -> PutResult where Bytes.Element == ByteBuffer {
        guard Int64(partSize) >= MultipartLimits.minimumPartSize, Int64(partSize) <= MultipartLimits.maximumPartSize
        else {
            throw StorageError.invalidArgument.with(message: "Part size \(partSize) is outside 5 MiB…5 GiB.")
        }
        guard concurrency >= 1 else {
            throw StorageError.invalidArgument.with(message: "Concurrency must be at least 1.")
        }
        try ObjectKey.validate(key)
        var reader = PartReader(iterator: body.makeAsyncIterator(), partSize: partSize)
        // The part being filled; no other reference may keep a part alive once it is handed over.
        var pending = try await reader.nextPart()
        guard pending != nil, !reader.isFinished else {
            return try await self.put(key: key, body: .bytes(pending ?? ByteBuffer()), options: options)
        }
        let upload = try await self.createMultipartUpload(key: key, options: options)
        do {
            let parts = try await withThrowingTaskGroup(of: (CompletedPart, ByteBuffer).self) { group in
                var completed: [CompletedPart] = []
                // Buffers of uploaded parts, refilled for the next parts: memory stays at
                // `concurrency + 1` parts instead of churning 10 MiB allocations.
                var spare: [ByteBuffer] = []
                var inFlight = 0
                var partNumber = 0
                while let part = pending {
                    pending = nil
                    if inFlight == concurrency, let (done, buffer) = try await group.next() {
                        completed.append(done)
                        spare.append(buffer)
                        inFlight -= 1
                    }
                    partNumber += 1
                    let number = partNumber
                    group.addTask {
                        let done = try await self.uploadPart(upload, partNumber: number, body: .bytes(part))
                        return (done, part)
                    }
                    inFlight += 1
                    pending = try await reader.nextPart(reusing: spare.popLast())
                }
                for try await (done, _) in group { completed.append(done) }
                return completed.sorted { $0.partNumber < $1.partNumber }
            }
            return try await self.completeMultipartUpload(upload, parts: parts)
        } catch {
            try? await self.abortMultipartUpload(upload)
            throw error
        }
    }
}

/// Cuts a stream of buffers into parts of a fixed size.
struct PartReader<Iterator: AsyncIteratorProtocol> where Iterator.Element == ByteBuffer {
    var iterator: Iterator
    let partSize: Int
    private var leftover: ByteBuffer?
    private(set) var isFinished = false

    init(iterator: Iterator, partSize: Int) {
        self.iterator = iterator
        self.partSize = partSize
    }

    /// The next part: `partSize` bytes, fewer for the last part, nil when the stream is done.
    /// After a short part, `isFinished` is true.
    ///
    /// - Parameter buffer: A buffer to fill again instead of allocating one.
    mutating func nextPart(reusing buffer: ByteBuffer? = nil) async throws -> ByteBuffer? {
        guard !self.isFinished || self.leftover != nil else { return nil }
        var part = buffer ?? ByteBufferAllocator().buffer(capacity: self.partSize)
        part.clear()
        while part.readableBytes < self.partSize {
            var chunk: ByteBuffer
            if let leftover = self.leftover {
                chunk = leftover
                self.leftover = nil
            } else if !self.isFinished, let next = try await self.iterator.next() {
                chunk = next
            } else {
                self.isFinished = true
                break
            }
            let room = self.partSize - part.readableBytes
            if chunk.readableBytes > room {
                var head = chunk.readSlice(length: room)!
                part.writeBuffer(&head)
                self.leftover = chunk
            } else {
                part.writeBuffer(&chunk)
            }
        }
        if part.readableBytes == 0 && self.isFinished { return nil }
        return part
    }
}
