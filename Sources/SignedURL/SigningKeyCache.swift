import Crypto
import Foundation

/// Derived SigV4 signing keys, kept per (date, region, service, secret).
///
/// Deriving a key costs four HMACs and changes once a day, so caching it makes a presign cost two
/// SHA-256 runs and one HMAC. What is cached is an `HMAC` already keyed with the signing key: keying
/// (hashing the padded key blocks) is most of the cost of a short HMAC, and copying the keyed state
/// skips it. The cache is process-wide by default so that signers made per request
/// (they are cheap values) still share it. It is bounded: when full it is emptied, which with daily
/// key rotation only ever drops yesterday's keys.
///
/// A lock rather than `Synchronization.Mutex` because the package supports macOS 14, where `Mutex`
/// is unavailable. The derivation runs outside the lock; two threads missing at once both derive
/// the same key, which is harmless.
final class SigningKeyCache: @unchecked Sendable {
    struct Key: Hashable {
        let dateStamp: String
        let region: String
        let service: String
        let secret: String
    }

    static let shared = SigningKeyCache(capacity: 64)

    private let lock = NSLock()
    private let capacity: Int
    // Guarded by `lock`.
    private var keys: [Key: HMAC<SHA256>] = [:]
    // Guarded by `lock`; lets tests see whether a signature hit the cache.
    private var derivationCount = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// The number of keys derived so far (cache misses).
    var derivations: Int {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.derivationCount
    }

    /// An `HMAC` keyed with the signing key of that scope; copy it, then `update` and `finalize`.
    func keyedHMAC(secret: String, dateStamp: String, region: String, service: String) -> HMAC<SHA256> {
        let key = Key(dateStamp: dateStamp, region: region, service: service, secret: secret)
        self.lock.lock()
        let cached = self.keys[key]
        self.lock.unlock()
        if let cached {
            return cached
        }

        let derived = HMAC<SHA256>(
            key: Self.derive(secret: secret, dateStamp: dateStamp, region: region, service: service)
        )
        self.lock.lock()
        defer { self.lock.unlock() }
        if self.keys.count >= self.capacity {
            self.keys.removeAll(keepingCapacity: true)
        }
        self.keys[key] = derived
        self.derivationCount += 1
        return derived
    }

    /// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
    static func derive(secret: String, dateStamp: String, region: String, service: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array("AWS4\(secret)".utf8))
        for part in [dateStamp, region, service, "aws4_request"] {
            let mac = HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)
            key = SymmetricKey(data: mac)
        }
        return key
    }
}
