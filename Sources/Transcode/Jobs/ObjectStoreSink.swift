import Foundation
import Storage

/// Uploads each finished file of an HLS tree to the object store under a prefix, as the
/// transcoder hands it over, so a long track never waits for its end to start uploading.
public struct ObjectStoreSink: HLSOutputSink {
    public let store: any ObjectStore
    /// Key prefix ending in `/`, e.g. `hls/<track>/<job>/`.
    public let prefix: String

    public init(store: any ObjectStore, prefix: String) {
        self.store = store
        self.prefix = prefix
    }

    public func write(relativePath: String, contents: HLSFileContents) async throws {
        let options = PutOptions(contentType: HLSFileContents.contentType(forPath: relativePath))
        let body: ObjectBody
        switch contents {
        case .bytes(let data):
            body = .bytes(data)
        case .file(let url):
            body = try await .file(atPath: url.path)
        }
        _ = try await self.store.put(key: self.prefix + relativePath, body: body, options: options)
    }
}
