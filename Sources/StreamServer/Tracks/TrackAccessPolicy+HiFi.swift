import Catalog
import Foundation

/// The plan feature behind the hi-fi renditions, asked only through ``TrackAccessPolicy``.
protocol HiFiEntitlement: Sendable {
    func mayHearHiFi(userID: UUID) async -> Bool
}

/// No plans: only owners and admins hear hi-fi.
struct NoHiFi: HiFiEntitlement {
    func mayHearHiFi(userID: UUID) async -> Bool { false }
}

extension TrackAccessPolicy {
    /// The lowest bit rate that counts as hi-fi: the 256 kb/s rendition (and anything above).
    static let hifiKbps = 256

    /// Whether a rendition directory (`aac_256k`) is a hi-fi one.
    static func isHiFi(rendition: String) -> Bool {
        guard rendition.hasPrefix("aac_"), rendition.hasSuffix("k"),
            let kbps = Int(rendition.dropFirst(4).dropLast())
        else { return false }
        return kbps >= Self.hifiKbps
    }

    /// Whether the caller may have the hi-fi renditions of `track`: its owner, admins, and users
    /// whose plan grants `hifi`. Asked only after listening was allowed.
    func mayHearHiFi(track: Track, identity: Identity?) async -> Bool {
        if let answer = Self.rightWithoutLookups(track: track, identity: identity) { return answer }
        guard let identity else { return false }
        return await self.hifi.mayHearHiFi(userID: identity.userID)
    }
}
