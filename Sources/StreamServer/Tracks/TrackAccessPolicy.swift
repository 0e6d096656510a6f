import Catalog
import Foundation
import SignedURL

/// Who may do what with a track: the one policy every track route asks.
///
/// Private and unknown tracks get the same answer (404) from anyone who may not see them, so
/// track ids cannot be probed. Downloads need ownership or an entitlement (licence, plan) that the
/// marketplace and subscription modules provide through ``TrackEntitlements``.
struct TrackAccessPolicy: Sendable {
    enum Purpose: Sendable {
        /// Metadata, raw stream and HLS.
        case listen
        /// The original file as an attachment.
        case download
    }

    enum Decision: Sendable, Equatable {
        case allow
        /// Answer 404, exactly as for a track that does not exist.
        case hide
        /// The caller may see the track but not do this (a download without a licence).
        case forbid(String)
    }

    let entitlements: any TrackEntitlements
    /// Who may hear the hi-fi renditions (the subscription plans' `hifi` feature).
    var hifi: any HiFiEntitlement = NoHiFi()

    func decide(track: Track, identity: Identity?, shareToken: ShareTokenCheck?, purpose: Purpose) async -> Decision {
        if let identity, identity.isAdmin || identity.userID == track.ownerID {
            return .allow
        }
        // Non-owners see a track only once it is playable.
        guard track.status == .ready else { return .hide }
        let sharedWithCaller: Bool
        if case .valid = shareToken { sharedWithCaller = true } else { sharedWithCaller = false }
        let visible = track.visibility != .private || sharedWithCaller
        guard visible else { return .hide }
        switch purpose {
        case .listen:
            return .allow
        case .download:
            if let identity, await self.entitlements.mayDownload(track: track, userID: identity.userID) {
                return .allow
            }
            return .forbid("downloading this track needs a licence")
        }
    }
}

extension TrackAccessPolicy {
    /// Whether `/stream` may give this caller the uploaded original rather than `stream.m4a`: the
    /// owner, admins, and whoever the download entitlements admit (the marketplace plugs licences
    /// in there). Asked only after ``decide(track:identity:shareToken:purpose:)`` allowed listening.
    func mayHaveOriginal(track: Track, identity: Identity?) async -> Bool {
        guard let identity else { return false }
        if identity.isAdmin || identity.userID == track.ownerID { return true }
        return await self.entitlements.mayDownload(track: track, userID: identity.userID)
    }
}

/// Entitlements granted outside the catalog (marketplace licences, subscription plans).
protocol TrackEntitlements: Sendable {
    func mayDownload(track: Track, userID: UUID) async -> Bool
}

/// No licences or plans yet: only owners and admins download.
struct NoEntitlements: TrackEntitlements {
    func mayDownload(track: Track, userID: UUID) async -> Bool { false }
}
