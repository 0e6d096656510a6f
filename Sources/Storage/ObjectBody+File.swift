import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension ObjectBody {
    /// A body streamed from a local file (e.g. an HLS segment the transcoder wrote), of known length.
    ///
    /// The file is opened now and read in `chunkSize` steps on `threadPool` each time the body is
    /// sent (so requests carrying it can be retried); it is closed when the body is released.
    /// ``ObjectStore/uploadInParts(key:body:partSize:concurrency:options:)`` uploads the parts of
    /// a file body straight from the file, without holding them in memory.
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - chunkSize: Bytes per read (default 1 MiB).
    ///   - threadPool: Where the blocking reads run.
    /// - Returns: The body.
    /// - Throws: ``StorageError/io`` when the file cannot be opened.
    public static func file(
        atPath path: String,
        chunkSize: Int = 1024 * 1024,
        threadPool: NIOThreadPool = .singleton
    ) async throws -> ObjectBody {
        let (file, size) = try await threadPool.runIfActive { () throws -> (OpenFile, Int64) in
            do {
                let file = try Posix.open(path, flags: O_RDONLY)
                let size = lseek(file.fd, 0, SEEK_END)
                guard size >= 0 else { throw SystemCallError(call: "lseek", path: path, errno: errno) }
                return (file, Int64(size))
            } catch let error as SystemCallError {
                throw error.storageError(key: nil, notFound: .io)
            }
        }
        return ObjectBody(storage: .file(file, range: 0..<size, chunkSize: chunkSize, threadPool: threadPool))
    }
}

extension ObjectStore {
    /// Uploads a body in parts, several in flight.
    ///
    /// A ``ObjectBody/file(atPath:chunkSize:threadPool:)`` body is cut into ranges of the file,
    /// each streamed from disk as its part uploads (memory stays near `concurrency` read chunks,
    /// and a failed part is retried). Other bodies go through
    /// ``uploadInParts(key:from:partSize:concurrency:options:)``, which holds parts in memory.
    public func uploadInParts(
        key: String,
        body: ObjectBody,
        partSize: Int = 10 * 1024 * 1024,
        concurrency: Int = 3,
        options: PutOptions = PutOptions()
    ) async throws -> PutResult {
        guard case .file(let file, let range, let chunkSize, let threadPool) = body.storage else {
            return try await self.uploadInParts(
                key: key,
                from: body.byteStream,
                partSize: partSize,
                concurrency: concurrency,
                options: options
            )
        }
        guard Int64(partSize) >= MultipartLimits.minimumPartSize, Int64(partSize) <= MultipartLimits.maximumPartSize,
            concurrency >= 1
        else {
            throw StorageError.invalidArgument.with(
                message: "Part size \(partSize) must be within 5 MiB…5 GiB and concurrency at least 1."
            )
        }
        try ObjectKey.validate(key)
        guard range.count > partSize else {
            return try await self.put(key: key, body: body, options: options)
        }
        let upload = try await self.createMultipartUpload(key: key, options: options)
        do {
            let parts = try await withThrowingTaskGroup(of: CompletedPart.self) { group in
                var completed: [CompletedPart] = []
                var inFlight = 0
                var partNumber = 0
                for start in stride(from: range.lowerBound, to: range.upperBound, by: partSize) {
                    if inFlight == concurrency, let done = try await group.next() {
                        completed.append(done)
                        inFlight -= 1
                    }
                    partNumber += 1
                    let number = partNumber
                    let part = ObjectBody(
                        storage: .file(
                            file,
                            range: start..<Swift.min(start + Int64(partSize), range.upperBound),
                            chunkSize: chunkSize,
                            threadPool: threadPool
                        )
                    )
                    group.addTask { try await self.uploadPart(upload, partNumber: number, body: part) }
                    inFlight += 1
                }
                for try await done in group { completed.append(done) }
                return completed.sorted { $0.partNumber < $1.partNumber }
            }
            return try await self.completeMultipartUpload(upload, parts: parts)
        } catch {
            try? await self.abortMultipartUpload(upload)
            throw error
        }
    }
}
