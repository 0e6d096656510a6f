extension Track {
    /// The track life cycle as a value type. Every status change goes through ``apply(_:)``; the
    /// repository turns the result into a guarded `UPDATE … WHERE status = <from>`.
    public struct StateMachine: Sendable, Equatable {
        public private(set) var status: TrackStatus

        public init(status: TrackStatus) {
            self.status = status
        }

        public enum Event: Sendable, Equatable {
            /// The source is stored and verified; transcoding is queued.
            case uploadCompleted
            /// The renditions are stored.
            case transcodeSucceeded
            /// Transcoding gave up, with a reason for the owner.
            case transcodeFailed(reason: String)
            /// An admin or a retry asks for new renditions.
            case transcodeRequested
        }

        public enum Action: Sendable, Equatable {
            /// Write the new status (and the reason, for a failure), guarded by the old one.
            case transition(from: TrackStatus, to: TrackStatus, failureReason: String?)
            /// The event does not apply in this state; nothing changes.
            case reject(from: TrackStatus)
        }

        public mutating func apply(_ event: Event) -> Action {
            let from = self.status
            let to: TrackStatus
            var reason: String? = nil
            switch (from, event) {
            case (.uploading, .uploadCompleted):
                to = .processing
            case (.processing, .transcodeSucceeded):
                to = .ready
            case (.processing, .transcodeFailed(let why)):
                to = .failed
                reason = why
            case (.failed, .transcodeRequested), (.ready, .transcodeRequested):
                to = .processing
            default:
                return .reject(from: from)
            }
            self.status = to
            return .transition(from: from, to: to, failureReason: reason)
        }
    }
}
