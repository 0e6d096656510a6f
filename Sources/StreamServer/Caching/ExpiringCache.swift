import Synchronization

/// A bounded map whose entries expire: at most ``capacity`` entries, each kept until its own
/// deadline. When full, expired entries are dropped first; if none had expired, the whole map is
/// cleared (a burst of new keys costs one reload each, never unbounded memory).
final class ExpiringCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        var value: Value
        var expires: ContinuousClock.Instant
    }

    let capacity: Int
    private let now: @Sendable () -> ContinuousClock.Instant
    private let entries: Mutex<[Key: Entry]>

    /// - Parameters:
    ///   - capacity: The most entries held (at least 1).
    ///   - now: The clock (tests move it).
    init(capacity: Int, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.capacity = max(1, capacity)
        self.now = now
        self.entries = Mutex([:])
    }

    /// The value for `key` while it has not expired.
    func value(for key: Key) -> Value? {
        let now = self.now()
        return self.entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            guard now < entry.expires else {
                entries[key] = nil
                return nil
            }
            return entry.value
        }
    }

    /// Keeps `value` for `key` until `expires`.
    func store(_ value: Value, for key: Key, until expires: ContinuousClock.Instant) {
        let now = self.now()
        guard now < expires else { return }
        self.entries.withLock { entries in
            if entries[key] == nil, entries.count >= self.capacity {
                entries = entries.filter { now < $0.value.expires }
                if entries.count >= self.capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[key] = Entry(value: value, expires: expires)
        }
    }

    /// Keeps `value` for `key` for `lifetime` from now.
    func store(_ value: Value, for key: Key, for lifetime: Duration) {
        self.store(value, for: key, until: self.now().advanced(by: lifetime))
    }

    /// Forgets `key`.
    func remove(_ key: Key) {
        _ = self.entries.withLock { $0.removeValue(forKey: key) }
    }

    /// The number of entries held, expired ones included until they are dropped.
    var count: Int { self.entries.withLock { $0.count } }

    /// The current time of this cache's clock.
    var currentTime: ContinuousClock.Instant { self.now() }
}
