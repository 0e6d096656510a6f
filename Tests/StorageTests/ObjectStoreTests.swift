import Foundation
import NIOCore
import Storage
import Testing

/// The behaviour every ``ObjectStore`` shares, run against ``FileSystemStore`` and ``S3Store``
/// (a real SeaweedFS with authentication, from `scripts/test.sh`).
@Suite("ObjectStore")
struct ObjectStoreTests {
    @Test("put, get, head, overwrite, delete", arguments: StoreKind.allCases)
    func basicRoundTrip(kind: StoreKind) async throws {
        try await withStore(kind) { store, prefix in
            let key = prefix + "tracks/user/track.mp3"
            let data = testBytes(150_000, seed: 7)
            let put = try await store.put(key: key, body: .bytes(data), options: PutOptions(contentType: "audio/mpeg"))
            #expect(put.key == key)
            #expect(put.etag == md5Hex(data))

            let head = try #require(try await store.head(key: key))
            #expect(head.size == 150_000)
            #expect(head.etag == md5Hex(data))
            #expect(head.contentType == "audio/mpeg")
            #expect(abs(head.lastModified.timeIntervalSinceNow) < 300)

            let response = try await store.get(key: key)
            #expect(response.contentRange == nil)
            #expect(response.info.size == 150_000)
            #expect(response.info.etag == md5Hex(data))
            #expect(try await readAll(response) == data)

            // Overwrite with a streamed body.
            let second = testBytes(70_000, seed: 8)
            let replaced = try await store.put(key: key, body: streamBody(second, chunkSize: 4096))
            #expect(replaced.etag == md5Hex(second))
            #expect(try await readAll(try await store.get(key: key)) == second)

            try await store.delete(key: key)
            #expect(try await store.head(key: key) == nil)
            // Deleting again is fine.
            try await store.delete(key: key)
        }
    }

    @Test("empty objects", arguments: StoreKind.allCases)
    func emptyObject(kind: StoreKind) async throws {
        try await withStore(kind) { store, prefix in
            let key = prefix + "empty"
            let put = try await store.put(key: key, body: .bytes([]))
            #expect(put.etag == "d41d8cd98f00b204e9800998ecf8427e")
            let response = try await store.get(key: key)
            #expect(response.info.size == 0)
            #expect(try await readAll(response).readableBytes == 0)
        }
    }

    @Test("missing objects", arguments: StoreKind.allCases)
    func missingObject(kind: StoreKind) async throws {
        try await withStore(kind) { store, prefix in
            let key = prefix + "missing/object"
            #expect(try await store.head(key: key) == nil)
            let error = await #expect(throws: StorageError.noSuchKey) { try await store.get(key: key) }
            #expect(error?.key == key)
            if kind == .s3 {
                #expect(error?.s3Code == "NoSuchKey")
                #expect(error?.httpStatus == 404)
                #expect(error?.requestID?.isEmpty == false)
            }
            #expect(error.map { "\($0)" }?.contains(key) == true)
            try await store.delete(key: key)
        }
    }

    @Test("range reads", arguments: StoreKind.allCases)
    func rangeReads(kind: StoreKind) async throws {
        try await withStore(kind) { store, prefix in
            let key = prefix + "ranges.bin"
            let data = testBytes(1000, seed: 3)
            _ = try await store.put(key: key, body: .bytes(data))
            let cases: [(ByteRange, ClosedRange<Int64>)] = [
                (ByteRange(0...0), 0...0),
                (ByteRange(100...199), 100...199),
                (ByteRange(999...999), 999...999),
                (ByteRange(990...5000), 990...999),
                (.from(995), 995...999),
                (.suffix(10), 990...999),
                (.suffix(5000), 0...999),
            ]
            for (range, expected) in cases {
                let response = try await store.get(key: key, range: range)
                #expect(response.contentRange == expected, "\(range)")
                #expect(response.info.size == 1000, "\(range)")
                #expect(response.contentLength == Int64(expected.count), "\(range)")
                let body = try await readAll(response)
                let slice = data.getSlice(at: Int(expected.lowerBound), length: expected.count)
                #expect(body == slice, "\(range)")
            }
            await #expect(throws: StorageError.invalidRange) {
                try await store.get(key: key, range: ByteRange(1000...1100))
            }
            await #expect(throws: StorageError.invalidRange) { try await store.get(key: key, range: .from(5000)) }
        }
    }

    @Test("keys with special characters round-trip", arguments: StoreKind.allCases)
    func specialKeys(kind: StoreKind) async throws {
        try await withStore(kind) { store, prefix in
            let names = [
                "with space/and  two spaces.txt",
                "unicode/ünïcödé/日本語/🎵.m4a",
                "plus/a+b+c",
                "percent/100%/%20literal/%",
                "tilde/~user/~",
                "bang/!important!",
                "quotes/'single'(paren)*star",
                "nested/a/b/c/d/e/f/g/h.bin",
                "amp/&lt;not-an-entity&gt;&amp;",
                "mixed/= ,;:@$#[]{}^`|\"<>?",
            ]
            for (index, name) in names.enumerated() {
                let key = prefix + name
                let data = testBytes(100 + index, seed: UInt64(index))
                _ = try await store.put(key: key, body: .bytes(data))
                #expect(try await store.head(key: key)?.size == Int64(100 + index), "\(name)")
                #expect(try await readAll(try await store.get(key: key)) == data, "\(name)")
            }
            let listed = try await store.list(prefix: prefix).collect().map(\.key)
            let expected = names.map { prefix + $0 }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            #expect(listed == expected)
            for name in names { try await store.delete(key: prefix + name) }
            #expect(try await store.list(prefix: prefix).collect().isEmpty)
        }
    }

    @Test("invalid keys are refused the same way", arguments: StoreKind.allCases)
    func invalidKeys(kind: StoreKind) async throws {
        try await withStore(kind) { store, prefix in
            let invalid = [
                "", "/absolute", "a/../b", "..", "../escape", "a/./b", ".", "a//b", "trailing/", "nul\u{0}byte",
                "line\nbreak", "back\\slash", ".veza/multipart/x", String(repeating: "k", count: 1025),
                "long/" + String(repeating: "s", count: 256),
            ]
            for key in invalid {
                let error = await #expect(throws: StorageError.invalidKey, "\(key.debugDescription)") {
                    try await store.put(key: key, body: .bytes([1, 2, 3]))
                }
                #expect(error?.message.contains("Invalid object key") == true)
                await #expect(throws: StorageError.invalidKey) { try await store.get(key: key) }
                await #expect(throws: StorageError.invalidKey) { try await store.head(key: key) }
                await #expect(throws: StorageError.invalidKey) { try await store.delete(key: key) }
                await #expect(throws: StorageError.invalidKey) { try await store.createMultipartUpload(key: key) }
            }
            await #expect(throws: StorageError.invalidKey) { try await store.list(prefix: "../").collect() }
            await #expect(throws: StorageError.invalidKey) { try await store.list(prefix: "/abs").collect() }
            // The longest key and dotted names that are not `.`/`..` are fine.
            let longest = prefix + String(repeating: "x/", count: (1024 - prefix.utf8.count) / 2 - 1) + "end"
            #expect(longest.utf8.count <= 1024)
            for key in [longest, prefix + "..hidden", prefix + "a/.b/c..d/..."] {
                _ = try await store.put(key: key, body: .bytes([9]))
                #expect(try await store.head(key: key)?.size == 1, "\(key)")
            }
        }
    }

    @Test("listing pages through many keys", arguments: StoreKind.allCases)
    func listingPagination(kind: StoreKind) async throws {
        try await withStore(kind, listPageSize: 7) { store, prefix in
            var expected: [String] = []
            for index in 0..<23 {
                let key = prefix + "list/\(index % 3)/item-\(String(format: "%02d", index))"
                _ = try await store.put(key: key, body: .bytes(testBytes(index + 1, seed: UInt64(index))))
                expected.append(key)
            }
            for index in 0..<3 {
                _ = try await store.put(key: prefix + "other/\(index)", body: .bytes([1]))
            }
            _ = try await store.put(key: prefix + "lister", body: .bytes([1]))
            let listed = try await store.list(prefix: prefix + "list/").collect()
            #expect(listed.map(\.key) == expected.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
            for info in listed {
                let index = Int(info.key.suffix(2))!
                #expect(info.size == Int64(index + 1))
                #expect(info.etag == md5Hex(testBytes(index + 1, seed: UInt64(index))))
            }
            // A prefix that ends inside a segment.
            #expect(
                try await store.list(prefix: prefix + "list/1/item-1").collect().map(\.key) == [
                    prefix + "list/1/item-10", prefix + "list/1/item-13", prefix + "list/1/item-16",
                    prefix + "list/1/item-19",
                ]
            )
            #expect(try await store.list(prefix: prefix + "lis").collect().count == 24)
            #expect(try await store.list(prefix: prefix + "nothing/").collect().isEmpty)
            #expect(try await store.deleteAll(prefix: prefix + "list/") == 23)
            #expect(try await store.list(prefix: prefix).collect().count == 4)
        }
    }

    @Test("put from a local file", arguments: StoreKind.allCases)
    func putFromFile(kind: StoreKind) async throws {
        try await withStore(kind) { store, prefix in
            let data = testBytes(3 * 1024 * 1024 + 5, seed: 41)
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("veza-file-\(UUID().uuidString)")
                .path
            #expect(FileManager.default.createFile(atPath: path, contents: Data(data.readableBytesView)))
            defer { try? FileManager.default.removeItem(atPath: path) }
            let body = try await ObjectBody.file(atPath: path, chunkSize: 100_000)
            #expect(body.length == Int64(data.readableBytes))
            #expect(body.isReplayable)
            let put = try await store.put(
                key: prefix + "hls/seg-0001.m4s",
                body: body,
                options: PutOptions(contentType: "video/iso.segment")
            )
            #expect(put.etag == md5Hex(data))
            #expect(try await readAll(try await store.get(key: prefix + "hls/seg-0001.m4s")) == data)
            await #expect(throws: StorageError.io) { try await ObjectBody.file(atPath: path + ".missing") }

            // Parts cut from the file, uploaded straight from disk.
            let large = testBytes(12 * 1024 * 1024 + 3, seed: 42)
            #expect(FileManager.default.createFile(atPath: path, contents: Data(large.readableBytesView)))
            let parts = try await store.uploadInParts(
                key: prefix + "from-file",
                body: try await ObjectBody.file(atPath: path),
                partSize: 5 * 1024 * 1024,
                concurrency: 2
            )
            #expect(parts.etag.hasSuffix("-3"))
            #expect(
                try await sha256(of: try await store.get(key: prefix + "from-file").body).digest == sha256(of: large)
            )
        }
    }

    @Test("health check", arguments: StoreKind.allCases)
    func health(kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            try await store.checkHealth()
        }
    }
}

extension ObjectStoreTests {
    @Test("file-system store: layout, key clashes, no leftovers")
    func fileSystemLayout() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("veza-fs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let root = directory.appendingPathComponent("objects").path
        let store = FileSystemStore(configuration: .init(root: root))
        let data = testBytes(6 * 1024 * 1024, seed: 51)
        _ = try await store.put(key: "tracks/u/t.mp3", body: .bytes(data))
        #expect(FileManager.default.contents(atPath: root + "/tracks/u/t.mp3") == Data(data.readableBytesView))

        // A key cannot be both an object and a "directory" of other keys on disk.
        let clash = await #expect(throws: StorageError.conflict) {
            try await store.put(key: "tracks/u", body: .bytes([1]))
        }
        #expect(clash?.message.contains("tracks/u") == true)
        await #expect(throws: StorageError.conflict) { try await store.put(key: "tracks/u/t.mp3/x", body: .bytes([1])) }
        #expect(try await store.head(key: "tracks/u") == nil)

        let upload = try await store.createMultipartUpload(key: "big")
        let one = try await store.uploadPart(upload, partNumber: 1, body: .bytes(data))
        let two = try await store.uploadPart(upload, partNumber: 2, body: .bytes([1, 2, 3]))
        _ = try await store.completeMultipartUpload(upload, parts: [one, two])
        let aborted = try await store.createMultipartUpload(key: "gone")
        _ = try await store.uploadPart(aborted, partNumber: 1, body: .bytes([1]))
        try await store.abortMultipartUpload(aborted)

        // Deleting prunes empty directories; nothing is left in the store's own area.
        try await store.delete(key: "tracks/u/t.mp3")
        #expect(!FileManager.default.fileExists(atPath: root + "/tracks"))
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: root + "/.veza")
            .filter { !$0.hasSuffix("tmp") && !$0.hasSuffix("multipart") }
        #expect(leftovers.isEmpty)
        #expect(try await store.list(prefix: "").collect().map(\.key) == ["big"])
    }
}

@Suite("ObjectStore.open")
struct OpenedObjectTests {
    @Test("open: the head's metadata, byte-exact reads and streams, nil when missing", arguments: StoreKind.allCases)
    func openReadsRanges(kind: StoreKind) async throws {
        try await withStore(kind) { store, prefix in
            let key = prefix + "hls/t/j/aac_64k/seg_00001.m4s"
            let data = testBytes(300_000, seed: 11)
            _ = try await store.put(key: key, body: .bytes(data), options: PutOptions(contentType: "video/iso.segment"))
            let opened = try #require(try await store.open(key: key))
            let head = try #require(try await store.head(key: key))
            #expect(opened.info == head)
            let bytes = Array(data.readableBytesView)
            for range: ClosedRange<Int64> in [0...0, 0...65535, 1000...70999, 299_999...299_999, 0...299_999] {
                let expected = Array(bytes[Int(range.lowerBound)...Int(range.upperBound)])
                if let buffer = try await opened.read(range) {
                    #expect(Array(buffer.readableBytesView) == expected, "\(range)")
                }
                var streamed: [UInt8] = []
                for try await chunk in try await opened.stream(range) { streamed += chunk.readableBytesView }
                #expect(streamed == expected, "\(range)")
            }
            if kind == .fileSystem {
                // The file-system store reads a short range in one step.
                #expect(try await opened.read(0...9) != nil)
                // A replaced file does not change what the opened object reads (same version).
                _ = try await store.put(key: key, body: .bytes(testBytes(300_000, seed: 12)))
                #expect(Array(try #require(try await opened.read(0...99)).readableBytesView) == Array(bytes[0...99]))
            }
            // A read-ahead is read in the open step where the store can, and is the same bytes.
            let ahead = try #require(try await store.open(key: key, readAhead: { $0.size > 10 ? 5...70004 : nil }))
            let current = Array(try await readAll(try await store.get(key: key)).readableBytesView)
            var streamed: [UInt8] = []
            for try await chunk in try await ahead.stream(5...70004) { streamed += chunk.readableBytesView }
            #expect(streamed == Array(current[5...70004]))
            if let buffer = try await ahead.read(5...70004) {
                #expect(Array(buffer.readableBytesView) == Array(current[5...70004]))
            }
            #expect(try await store.open(key: prefix + "missing/seg.m4s") == nil)
            #expect(try await store.open(key: prefix + "missing/seg.m4s", readAhead: { _ in 0...1 }) == nil)
        }
    }
}
