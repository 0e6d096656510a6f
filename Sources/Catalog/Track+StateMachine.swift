extension Track {
    /// The track life cycle as a value type, without I/O.
    ///
    /// ```
    /// processing ──transcodeSucceeded──▶ ready
    /// processing ──transcodeFailed─────▶ failed ──transcodeRequested──▶ processing
    /// ready ──transcodeRequested──▶ ready   (accept: a new job runs, the current tree keeps playing)
    /// ready ──transcodeSucceeded──▶ ready   (switchOutputs: the new tree replaces the old)
    /// ready ──transcodeFailed─────▶ ready   (recordTranscodeError: the old tree stays)
    /// processing | ready | failed ──deletionRequested──▶ deleted   (markDeleted: never served again)
    /// ```
    ///
    /// Deletion is terminal: every event on a deleted track is rejected, so a transcode finishing
    /// after the owner deleted its track cannot bring the row back. The status column keeps the
    /// state the track was deleted in; `deleted_at` records the deletion.
    ///
    /// A ready track never leaves `ready` for a re-transcode: listeners keep the current tree until
    /// the new one is complete. The repository turns every write into one guarded
    /// `UPDATE … WHERE status = <from>` (and, for a switch, `AND hls_prefix = <current>`).
    public struct StateMachine: Sendable, Equatable {
        public private(set) var status: TrackStatus
        public private(set) var isDeleted: Bool

        public init(status: TrackStatus, isDeleted: Bool = false) {
            self.status = status
            self.isDeleted = isDeleted
        }

        public enum Event: Sendable, Equatable {
            /// A complete HLS tree is stored.
            case transcodeSucceeded
            /// Transcoding gave up, with a reason for the owner.
            case transcodeFailed(reason: String)
            /// An admin asks for new renditions.
            case transcodeRequested
            /// The owner or an admin deletes the track.
            case deletionRequested
        }

        public enum Action: Sendable, Equatable {
            /// Write the new status (the reason, for a failure), guarded by the old one.
            case transition(from: TrackStatus, to: TrackStatus, failureReason: String?)
            /// A ready track switches to its new tree (outputs written, error cleared), guarded by
            /// its status and the tree it has now; the old tree is deleted only afterwards.
            case switchOutputs
            /// A re-transcode of a ready track failed: record why, keep the status and the tree.
            case recordTranscodeError(String)
            /// Mark the track deleted (guarded by its status and by not being deleted yet); its
            /// objects are removed afterwards by a cleanup job.
            case markDeleted(from: TrackStatus)
            /// Allowed, nothing to write (a re-transcode of a ready track is queued; it stays ready).
            case accept
            /// The event does not apply in this state; nothing changes.
            case reject(from: TrackStatus)
        }

        public mutating func apply(_ event: Event) -> Action {
            let from = self.status
            if self.isDeleted { return .reject(from: from) }
            let to: TrackStatus
            var reason: String? = nil
            switch (from, event) {
            case (.processing, .transcodeSucceeded):
                to = .ready
            case (.processing, .transcodeFailed(let why)):
                to = .failed
                reason = why
            case (.failed, .transcodeRequested):
                to = .processing
            case (.ready, .transcodeRequested):
                return .accept
            case (.ready, .transcodeSucceeded):
                return .switchOutputs
            case (.ready, .transcodeFailed(let why)):
                return .recordTranscodeError(why)
            case (_, .deletionRequested):
                self.isDeleted = true
                return .markDeleted(from: from)
            default:
                return .reject(from: from)
            }
            self.status = to
            return .transition(from: from, to: to, failureReason: reason)
        }
    }
}
