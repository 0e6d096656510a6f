import Catalog
import Foundation

/// Track rows for the listening routes, kept for at most ``lifetime`` (1 s by default).
///
/// Every range request and segment GET needs the track row for its access check; the check
/// itself still runs on every request, on a row at most ``lifetime`` old. A change made through
/// this process (visibility, deletion, re-transcode request) removes the row at once; a change
/// made elsewhere (another `veza serve`, a `veza worker` switching in new renditions) is seen
/// within ``lifetime``. Only rows that exist are kept: a track id that is not found is asked
/// again each time. At most ``capacity`` rows (4096 by default).
final class TrackRowCache: Sendable {
    /// How long a row is used before it is read again.
    let lifetime: Duration
    let rows: ExpiringCache<UUID, Track>

    init(
        lifetime: Duration = .seconds(1),
        capacity: Int = 4096,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.lifetime = lifetime
        self.rows = ExpiringCache(capacity: capacity, now: now)
    }

    /// The track with `id`: a row read within ``lifetime``, or `load`'s answer (kept when found).
    func track(id: UUID, load: () async throws -> Track?) async throws -> Track? {
        if let track = self.rows.value(for: id) { return track }
        guard let track = try await load() else { return nil }
        self.rows.store(track, for: id, for: self.lifetime)
        return track
    }

    /// The row of `id` if one was read within ``lifetime``; nil otherwise (without reading it).
    func cachedTrack(id: UUID) -> Track? {
        self.rows.value(for: id)
    }

    /// Forgets the row of `id` (after this process changed the track).
    func invalidate(_ id: UUID) {
        self.rows.remove(id)
    }
}
