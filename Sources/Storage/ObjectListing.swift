import Foundation

/// One page of a listing and the token for the next one.
struct ObjectPage: Sendable {
    var objects: [ObjectInfo]
    var nextToken: String?
}

/// The objects under a prefix, in ascending UTF-8 byte order of their keys.
///
/// Pages are fetched lazily as the sequence is iterated, so a listing of any size uses the
/// memory of one page. Each iteration starts a new listing.
public struct ObjectListing: AsyncSequence, Sendable {
    public typealias Element = ObjectInfo

    /// Fetches the page after `token` (nil for the first page).
    typealias PageFetcher = @Sendable (_ token: String?) async throws -> ObjectPage

    private let makeFetcher: @Sendable () -> PageFetcher

    /// - Parameter makeFetcher: Called once per iteration, so a fetcher may keep per-listing state.
    init(makeFetcher: @escaping @Sendable () -> PageFetcher) {
        self.makeFetcher = makeFetcher
    }

    /// The iterator of an ``ObjectListing``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let fetch: PageFetcher
        var buffered: [ObjectInfo] = []
        var index = 0
        var token: String?
        var finished = false

        /// The next object, or nil after the last.
        public mutating func next() async throws -> ObjectInfo? {
            while self.index == self.buffered.count {
                guard !self.finished else { return nil }
                let page = try await self.fetch(self.token)
                self.buffered = page.objects
                self.index = 0
                self.token = page.nextToken
                self.finished = page.nextToken == nil
            }
            defer { self.index += 1 }
            return self.buffered[self.index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(fetch: self.makeFetcher())
    }

    /// All the objects, in one array. Prefer iterating for large listings.
    public func collect() async throws -> [ObjectInfo] {
        var result: [ObjectInfo] = []
        for try await object in self { result.append(object) }
        return result
    }
}

/// A value guarded by a lock.
final class LockedValue<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLockedValue<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        self.lock.lock()
        defer { self.lock.unlock() }
        return try body(&self.value)
    }
}
