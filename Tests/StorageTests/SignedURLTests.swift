import Foundation
import NIOCore
import Storage
import Testing

extension ObjectStoreTests {
    @Test(
        "signed URLs: GET whole and ranged, HEAD; tampered, expired and wrong-method URLs refused",
        arguments: StoreKind.allCases
    )
    func signedURLs(kind: StoreKind) async throws {
        try await withStore(kind) { store, prefix in
            let key = prefix + "signed/my track (live) ünï+%~!'*.mp3"
            let data = testBytes(5000, seed: 31)
            _ = try await store.put(key: key, body: .bytes(data), options: PutOptions(contentType: "audio/mpeg"))
            switch kind {
            case .s3: try await self.checkPresignedURLs(store: store, key: key, data: data)
            case .fileSystem: try self.checkAppSignedURLs(store: try #require(store as? FileSystemStore), key: key)
            }
        }
    }

    /// The S3 server itself accepts or refuses the URLs, as `curl` shows.
    private func checkPresignedURLs(store: any ObjectStore, key: String, data: ByteBuffer) async throws {
        let get = try store.signedURL(method: .get, key: key, expires: .seconds(300))
        let whole = try curl(get)
        #expect(whole.status == 200)
        #expect(whole.body == Data(data.readableBytesView))

        let ranged = try curl(get, headers: ["Range: bytes=100-199"])
        #expect(ranged.status == 206)
        #expect(ranged.header("content-range") == "bytes 100-199/5000")
        #expect(ranged.body == Data(data.getSlice(at: 100, length: 100)!.readableBytesView))

        let head = try store.signedURL(method: .head, key: key, expires: .seconds(300))
        let headed = try curl(head, head: true)
        #expect(headed.status == 200)
        #expect(headed.header("content-length") == "5000")

        // A GET URL used for HEAD, a HEAD URL used for GET.
        #expect(try curl(get, head: true).status == 403)
        #expect(try curl(head).status == 403)

        // A tampered signature, and a tampered key.
        var tampered = get
        let last = tampered.removeLast()
        tampered.append(last == "0" ? "1" : "0")
        #expect(try curl(tampered).status == 403)
        let otherKey = get.replacingOccurrences(of: "signed/", with: "signee/")
        #expect(try curl(otherKey).status == 403)

        // Signed two hours ago for one minute.
        let expired = try store.signedURL(
            method: .get,
            key: key,
            expires: .seconds(60),
            responseContentDisposition: nil,
            date: Date().addingTimeInterval(-7200)
        )
        #expect(try curl(expired).status == 403)

        // A download name, signed with the URL.
        let disposition = #"attachment; filename="track.mp3"; filename*=UTF-8''tr%C3%A4ck.mp3"#
        let download = try store.signedURL(
            method: .get,
            key: key,
            expires: .seconds(300),
            responseContentDisposition: disposition,
            date: Date()
        )
        let downloaded = try curl(download)
        #expect(downloaded.status == 200)
        #expect(downloaded.header("content-disposition") == disposition)

        #expect(throws: StorageError.invalidArgument) {
            try store.signedURL(method: .get, key: key, expires: .seconds(8 * 24 * 3600))
        }
    }

    /// The file-system store signs app URLs and checks them for the app's route.
    private func checkAppSignedURLs(store: FileSystemStore, key: String) throws {
        let url = try store.signedURL(
            method: .get,
            key: key,
            expires: .seconds(300),
            responseContentDisposition: "attachment; filename=\"a.mp3\"",
            date: Date()
        )
        let (path, query) = try Self.split(url)
        #expect(path.hasPrefix("/api/v1/objects/"))
        let verified = try store.verifySignedURL(method: "GET", path: path, query: query)
        #expect(verified.key == key)
        #expect(verified.responseContentDisposition == "attachment; filename=\"a.mp3\"")
        // Players probe with HEAD.
        #expect(try store.verifySignedURL(method: "HEAD", path: path, query: query).key == key)

        var tampered = query
        tampered["signature"] =
            String(query["signature"]!.dropLast()) + (query["signature"]!.hasSuffix("A") ? "B" : "A")
        #expect(throws: StorageError.accessDenied) {
            try store.verifySignedURL(method: "GET", path: path, query: tampered)
        }
        var otherDisposition = query
        otherDisposition["subject"] = "inline"
        #expect(throws: StorageError.accessDenied) {
            try store.verifySignedURL(method: "GET", path: path, query: otherDisposition)
        }
        let otherPath = path.replacingOccurrences(of: "signed/", with: "signee/")
        #expect(throws: StorageError.accessDenied) {
            try store.verifySignedURL(method: "GET", path: otherPath, query: query)
        }

        let expired = try store.signedURL(
            method: .get,
            key: key,
            expires: .seconds(60),
            responseContentDisposition: nil,
            date: Date().addingTimeInterval(-7200)
        )
        let (expiredPath, expiredQuery) = try Self.split(expired)
        let error = #expect(throws: StorageError.accessDenied) {
            try store.verifySignedURL(method: "GET", path: expiredPath, query: expiredQuery)
        }
        #expect(error?.message.contains("expired") == true)

        let headOnly = try store.signedURL(method: .head, key: key, expires: .seconds(300))
        let (headPath, headQuery) = try Self.split(headOnly)
        #expect(throws: StorageError.accessDenied) {
            try store.verifySignedURL(method: "GET", path: headPath, query: headQuery)
        }

        let unsigned = FileSystemStore(configuration: .init(root: "/nonexistent"))
        #expect(throws: StorageError.unsupported) {
            try unsigned.signedURL(method: .get, key: key, expires: .seconds(60))
        }
    }

    private static func split(_ url: String) throws -> (path: String, query: [String: String]) {
        let parts = url.split(separator: "?", maxSplits: 1)
        let query = try #require(parts.count == 2 ? parts[1] : nil)
        var items: [String: String] = [:]
        for item in query.split(separator: "&") {
            let pair = item.split(separator: "=", maxSplits: 1)
            items[String(pair[0])] = pair.count == 2 ? String(pair[1]).removingPercentEncoding : ""
        }
        return (String(parts[0]), items)
    }

    @Test("wrong credentials are refused by the S3 server")
    func wrongCredentials() async throws {
        let environment = try S3TestEnvironment.load()
        try await S3TestEnvironment.bucketReady.value
        var configuration = environment.configuration()
        configuration.credentials.secretAccessKey += "x"
        let store = try S3Store(configuration: configuration)
        let error = await #expect(throws: StorageError.accessDenied) {
            try await store.put(key: "denied", body: .bytes([1]))
        }
        #expect(error?.s3Code == "SignatureDoesNotMatch")
        await #expect(throws: StorageError.accessDenied) { try await store.checkHealth() }
        try await store.shutdown()
    }
}
