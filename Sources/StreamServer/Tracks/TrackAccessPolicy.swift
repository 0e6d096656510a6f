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
        if let decision = Self.decisionWithoutLookups(
            track: track,
            identity: identity,
            shareToken: shareToken,
            purpose: purpose
        ) {
            return decision
        }
        if let identity, await self.entitlements.mayDownload(track: track, userID: identity.userID) {
            return .allow
        }
        return .forbid("downloading this track needs a licence")
    }

    /// The decision when it needs no entitlement lookup (every case but a download by someone
    /// other than the owner or an admin); nil otherwise. The stream fast path decides with it.
    static func decisionWithoutLookups(
        track: Track,
        identity: Identity?,
        shareToken: ShareTokenCheck?,
        purpose: Purpose
    ) -> Decision? {
        if let identity, identity.isPrivileged(for: track) { return .allow }
        // Non-owners see a track only once it is playable.
        guard track.status == .ready else { return .hide }
        let sharedWithCaller: Bool
        if case .valid = shareToken { sharedWithCaller = true } else { sharedWithCaller = false }
        let visible = track.visibility != .private || sharedWithCaller
        guard visible else { return .hide }
        switch purpose {
        case .listen: return .allow
        case .download: return identity == nil ? .forbid("downloading this track needs a licence") : nil
        }
    }
}

extension Identity {
    /// The track's owner or an admin: every right over it, with no lookup.
    func isPrivileged(for track: Track) -> Bool {
        self.isAdmin || self.userID == track.ownerID
    }
}

extension TrackAccessPolicy {
    /// Whether `/stream` may give this caller the uploaded original rather than `stream.m4a`: the
    /// owner, admins, and whoever the download entitlements admit (the marketplace plugs licences
    /// in there). Asked only after ``decide(track:identity:shareToken:purpose:)`` allowed listening.
    func mayHaveOriginal(track: Track, identity: Identity?) async -> Bool {
        if let answer = Self.rightWithoutLookups(track: track, identity: identity) { return answer }
        guard let identity else { return false }
        return await self.entitlements.mayDownload(track: track, userID: identity.userID)
    }

    /// A right beyond listening (the original, hi-fi) when it needs no entitlement or plan
    /// lookup: no for anonymous callers, yes for the owner and admins; nil for everyone else.
    static func rightWithoutLookups(track: Track, identity: Identity?) -> Bool? {
        guard let identity else { return false }
        return identity.isPrivileged(for: track) ? true : nil
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
