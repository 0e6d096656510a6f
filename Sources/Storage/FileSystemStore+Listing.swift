import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension FileSystemStore {
    public func list(prefix: String) -> ObjectListing {
        let store = self
        return ObjectListing {
            // The keys are walked once per iteration and paged from this snapshot; objects
            // deleted since the walk are skipped.
            let snapshot = LockedValue<[String]?>(nil)
            return { token in
                try ObjectKey.validatePrefix(prefix)
                let keys: [String]
                if let cached = snapshot.withLockedValue({ $0 }) {
                    keys = cached
                } else {
                    keys = try await store.keys(prefix: prefix)
                    snapshot.withLockedValue { $0 = keys }
                }
                let start = token.flatMap(Int.init) ?? 0
                let end = min(keys.count, start + max(1, store.configuration.listPageSize))
                var objects: [ObjectInfo] = []
                for key in keys[start..<end] {
                    if let info = try await store.head(key: key) { objects.append(info) }
                }
                return ObjectPage(objects: objects, nextToken: end < keys.count ? String(end) : nil)
            }
        }
    }

    /// All keys starting with `prefix`, in UTF-8 byte order.
    func keys(prefix: String) async throws -> [String] {
        // Walk from the deepest directory the prefix names completely.
        let base = prefix.lastIndex(of: "/").map { String(prefix[..<$0]) } ?? ""
        let root = self.root
        let reserved = ObjectKey.reservedSegment
        return try await self.io { () throws -> [String] in
            var keys: [String] = []
            var pending = [base]
            do {
                while let relative = pending.popLast() {
                    let directory = relative.isEmpty ? root : root + "/" + relative
                    guard let entries = try Posix.listDirectory(directory) else { continue }
                    for entry in entries {
                        if relative.isEmpty && entry.name == reserved { continue }
                        let key = relative.isEmpty ? entry.name : relative + "/" + entry.name
                        if entry.isDirectory {
                            // Descend only where keys with the prefix can be.
                            if key.utf8.starts(with: prefix.utf8) || prefix.utf8.starts(with: (key + "/").utf8) {
                                pending.append(key)
                            }
                        } else if key.utf8.starts(with: prefix.utf8) {
                            keys.append(key)
                        }
                    }
                }
            } catch let error as SystemCallError {
                throw error.storageError(key: prefix, notFound: .io)
            }
            return keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        }
    }
}
