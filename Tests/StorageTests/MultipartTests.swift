import Foundation
import NIOCore
import Storage
import Testing

extension ObjectStoreTests {
    @Test("multipart upload of 3 × 10 MiB + a tail reads back identical", arguments: StoreKind.allCases)
    func multipartRoundTrip(kind: StoreKind) async throws {
        try await withStore(kind) { store, prefix in
            let key = prefix + "tracks/big source.wav"
            let mebibyte = 1024 * 1024
            let parts = [
                testBytes(10 * mebibyte, seed: 11), testBytes(10 * mebibyte, seed: 12),
                testBytes(10 * mebibyte, seed: 13), testBytes(1_234_567, seed: 14),
            ]
            var whole = ByteBuffer()
            for var part in parts { whole.writeBuffer(&part) }

            let upload = try await store.createMultipartUpload(key: key, options: PutOptions(contentType: "audio/wav"))
            #expect(upload.key == key)
            #expect(try await store.listParts(upload).isEmpty)
            let listed = try await store.listMultipartUploads(prefix: prefix)
            #expect(listed.map(\.upload) == [upload])
            #expect(abs(listed[0].initiated.timeIntervalSinceNow) < 300)

            // Parts in any order, a replayable one, streamed ones, and one uploaded twice.
            var completed: [CompletedPart] = []
            completed.append(try await store.uploadPart(upload, partNumber: 3, body: .bytes(parts[2])))
            completed.append(try await store.uploadPart(upload, partNumber: 1, body: streamBody(parts[0])))
            _ = try await store.uploadPart(upload, partNumber: 2, body: .bytes(testBytes(6 * mebibyte, seed: 99)))
            completed.append(
                try await store.uploadPart(upload, partNumber: 2, body: streamBody(parts[1], chunkSize: 1 << 20))
            )
            completed.append(try await store.uploadPart(upload, partNumber: 4, body: .bytes(parts[3])))
            completed.sort { $0.partNumber < $1.partNumber }
            for (part, data) in zip(completed, parts) { #expect(part.etag == md5Hex(data)) }

            let uploaded = try await store.listParts(upload)
            if kind == .s3 {
                // SeaweedFS lists both uploads of part 2 (AWS lists the last one only).
                #expect(Set(uploaded.map(\.partNumber)) == [1, 2, 3, 4])
                #expect(Set(completed.map(\.etag)).isSubset(of: uploaded.map(\.etag)))
            } else {
                #expect(uploaded.map(\.partNumber) == [1, 2, 3, 4])
                #expect(uploaded.map(\.size) == parts.map { Int64($0.readableBytes) })
                #expect(uploaded.map(\.etag) == completed.map(\.etag))
            }

            let result = try await store.completeMultipartUpload(upload, parts: completed)
            #expect(result.etag == multipartETag(parts))
            #expect(try await store.listMultipartUploads(prefix: prefix).isEmpty)
            await #expect(throws: StorageError.noSuchUpload) { try await store.listParts(upload) }

            let head = try #require(try await store.head(key: key))
            #expect(head.size == Int64(whole.readableBytes))
            #expect(head.etag == result.etag)
            #expect(head.contentType == "audio/wav")
            let read = try await sha256(of: try await store.get(key: key).body)
            #expect(read.size == whole.readableBytes)
            #expect(read.digest == sha256(of: whole))

            // A range across the first part boundary.
            let range = Int64(10 * mebibyte - 100)...Int64(10 * mebibyte + 99)
            let slice = try await readAll(try await store.get(key: key, range: ByteRange(range)))
            #expect(slice == whole.getSlice(at: Int(range.lowerBound), length: 200))
        }
    }

    @Test("completing with a small first part fails with EntityTooSmall", arguments: StoreKind.allCases)
    func entityTooSmall(kind: StoreKind) async throws {
        try await withStore(kind) { store, prefix in
            let key = prefix + "small-parts"
            let upload = try await store.createMultipartUpload(key: key)
            let first = try await store.uploadPart(upload, partNumber: 1, body: .bytes(testBytes(1024, seed: 1)))
            let second = try await store.uploadPart(upload, partNumber: 2, body: .bytes(testBytes(1024, seed: 2)))
            let error = await #expect(throws: StorageError.entityTooSmall) {
                try await store.completeMultipartUpload(upload, parts: [first, second])
            }
            if kind == .s3 { #expect(error?.s3Code == "EntityTooSmall") }
            #expect(try await store.head(key: key) == nil)
            // The upload is still there, and goes away when aborted.
            #expect(try await store.listParts(upload).count == 2)
            try await store.abortMultipartUpload(upload)
        }
    }

    @Test("completion errors: unknown upload, wrong ETag, no parts", arguments: StoreKind.allCases)
    func completionErrors(kind: StoreKind) async throws {
        try await withStore(kind) { store, prefix in
            let key = prefix + "errors"
            let upload = try await store.createMultipartUpload(key: key)
            let part = try await store.uploadPart(upload, partNumber: 1, body: .bytes(testBytes(100, seed: 5)))
            let wrong = CompletedPart(partNumber: 1, etag: String(repeating: "0", count: 32))
            await #expect(throws: StorageError.invalidPart) {
                try await store.completeMultipartUpload(upload, parts: [wrong])
            }
            let missing = CompletedPart(partNumber: 2, etag: part.etag)
            await #expect(throws: StorageError.invalidPart) {
                try await store.completeMultipartUpload(upload, parts: [missing])
            }
            await #expect(throws: StorageError.invalidArgument) {
                try await store.completeMultipartUpload(upload, parts: [])
            }
            await #expect(throws: StorageError.invalidArgument) {
                try await store.uploadPart(upload, partNumber: 0, body: .bytes([1]))
            }
            await #expect(throws: StorageError.invalidArgument) {
                try await store.uploadPart(upload, partNumber: 10_001, body: .bytes([1]))
            }
            await #expect(throws: StorageError.invalidArgument) {
                try await store.uploadPart(upload, partNumber: 2, body: streamBody(testBytes(10), knownLength: false))
            }
            // The good completion still works after the failed ones.
            let result = try await store.completeMultipartUpload(upload, parts: [part])
            #expect(result.etag == multipartETag([testBytes(100, seed: 5)]))
            #expect(try await store.head(key: key)?.size == 100)

            let bogus = MultipartUpload(key: key, uploadID: "0123456789abcdef0123456789abcdef")
            let noUpload = await #expect(throws: StorageError.noSuchUpload) { try await store.listParts(bogus) }
            if kind == .s3 { #expect(noUpload?.s3Code == "NoSuchUpload") }
            await #expect(throws: StorageError.noSuchUpload) {
                try await store.uploadPart(bogus, partNumber: 1, body: .bytes([1, 2, 3]))
            }
            await #expect(throws: StorageError.noSuchUpload) {
                try await store.completeMultipartUpload(bogus, parts: [part])
            }
            await #expect(throws: StorageError.noSuchUpload) { try await store.listParts(upload) }
        }
    }

    @Test("abort leaves nothing behind", arguments: StoreKind.allCases)
    func abort(kind: StoreKind) async throws {
        try await withStore(kind) { store, prefix in
            let key = prefix + "aborted"
            let upload = try await store.createMultipartUpload(key: key)
            _ = try await store.uploadPart(upload, partNumber: 1, body: .bytes(testBytes(6 * 1024 * 1024, seed: 1)))
            _ = try await store.uploadPart(upload, partNumber: 2, body: .bytes(testBytes(1000, seed: 2)))
            try await store.abortMultipartUpload(upload)
            let error = await #expect(throws: StorageError.noSuchUpload) { try await store.listParts(upload) }
            if kind == .s3 { #expect(error?.s3Code == "NoSuchUpload") }
            #expect(try await store.listMultipartUploads(prefix: prefix).isEmpty)
            #expect(try await store.head(key: key) == nil)
            #expect(try await store.list(prefix: prefix).collect().isEmpty)
            // Aborting again is fine (a GC may race a completion).
            try await store.abortMultipartUpload(upload)
        }
    }

    @Test("listMultipartUploads filters by prefix", arguments: StoreKind.allCases)
    func listUploads(kind: StoreKind) async throws {
        try await withStore(kind, listPageSize: 2) { store, prefix in
            let a1 = try await store.createMultipartUpload(key: prefix + "a/one")
            let a2 = try await store.createMultipartUpload(key: prefix + "a/two")
            let a3 = try await store.createMultipartUpload(key: prefix + "a/one")
            let b = try await store.createMultipartUpload(key: prefix + "b/one")
            let underA = try await store.listMultipartUploads(prefix: prefix + "a/")
            #expect(Set(underA.map(\.upload)) == [a1, a2, a3])
            #expect(underA.map(\.upload.key) == [prefix + "a/one", prefix + "a/one", prefix + "a/two"])
            #expect(try await store.listMultipartUploads(prefix: prefix + "b").map(\.upload) == [b])
            #expect(try await store.listMultipartUploads(prefix: prefix).count == 4)
            for upload in [a1, a2, a3, b] { try await store.abortMultipartUpload(upload) }
            #expect(try await store.listMultipartUploads(prefix: prefix).isEmpty)
        }
    }

    @Test("put of unknown length, small and large", arguments: StoreKind.allCases)
    func unknownLengthPut(kind: StoreKind) async throws {
        try await withStore(kind) { store, prefix in
            let small = testBytes(300_000, seed: 21)
            let smallResult = try await store.put(key: prefix + "small", body: streamBody(small, knownLength: false))
            #expect(smallResult.etag == md5Hex(small))
            #expect(try await readAll(try await store.get(key: prefix + "small")) == small)

            // Over the S3 store's part size (5 MiB in tests): uploaded in parts there.
            let large = testBytes(12 * 1024 * 1024 + 17, seed: 22)
            let largeResult = try await store.put(
                key: prefix + "large",
                body: streamBody(large, chunkSize: 100_000, knownLength: false),
                options: PutOptions(contentType: "audio/flac")
            )
            let read = try await sha256(of: try await store.get(key: prefix + "large").body)
            #expect(read.digest == sha256(of: large))
            let head = try #require(try await store.head(key: prefix + "large"))
            #expect(head.etag == largeResult.etag)
            #expect(head.contentType == "audio/flac")
            if kind == .s3 { #expect(largeResult.etag.hasSuffix("-3")) }

            // The helper used by Ingest, directly.
            let helper = try await store.uploadInParts(
                key: prefix + "helper",
                from: AsyncChunks(chunks: [large]),
                partSize: 5 * 1024 * 1024,
                concurrency: 2
            )
            #expect(helper.etag.hasSuffix("-3"))
            #expect(try await sha256(of: try await store.get(key: prefix + "helper").body).digest == sha256(of: large))
        }
    }
}
