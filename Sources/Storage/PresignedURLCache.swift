import Foundation
import Synchronization

/// The presigned URLs made within the current second, by everything that makes one.
///
/// A SigV4 presigned URL depends on the method, the key, the lifetime, the signed query and the
/// signing time to the second (`X-Amz-Date`): two asked within one second with the same
/// parameters are the same string. Signing costs four HMACs and a SHA-256; a player's redirects
/// and a busy track's listeners ask for the same URL many times a second, so within a second it is
/// signed once. Nothing outlives its second; at most ``capacity`` URLs per second are kept.
final class PresignedURLCache: Sendable {
    struct Key: Hashable {
        var method: String
        var key: String
        var seconds: Int
        var disposition: String?
    }

    static let capacity = 4096
    private let state = Mutex<(second: Int64, urls: [Key: String])>((Int64.min, [:]))

    /// The URL for `key` signed at `date`'s second: a kept one, or `sign`'s (then kept).
    func url(for key: Key, at date: Date, sign: () throws -> String) rethrows -> String {
        let second = Int64(date.timeIntervalSince1970.rounded(.down))
        if let url = self.state.withLock({ $0.second == second ? $0.urls[key] : nil }) { return url }
        let url = try sign()
        self.state.withLock { state in
            if state.second != second {
                guard second > state.second else { return }
                state = (second, [:])
            }
            if state.urls.count < Self.capacity { state.urls[key] = url }
        }
        return url
    }
}
