extension UploadSession {
    /// The upload life cycle as a value type, without I/O.
    ///
    /// ```
    /// receiving ──startAssembly──▶ assembling ──assemblySucceeded──▶ completed
    ///     ▲                            │
    ///     └──────assemblyFailed────────┘   (the client can fix a chunk and complete again)
    /// receiving ──abort──▶ aborted          receiving ──expire──▶ expired
    /// ```
    ///
    /// The repository turns a transition into a guarded `UPDATE … WHERE status = <from>`.
    public struct StateMachine: Sendable, Equatable {
        public private(set) var status: UploadStatus

        public init(status: UploadStatus) {
            self.status = status
        }

        public enum Event: Sendable, Equatable {
            /// A chunk arrives: allowed only while receiving, changes nothing.
            case receiveChunk
            /// `complete` starts streaming the chunks into the store.
            case startAssembly
            /// The object is stored and verified, the track row written.
            case assemblySucceeded
            /// Verification or the store failed; the chunks are kept.
            case assemblyFailed
            /// The owner aborts.
            case abort
            /// The session outlived its expiry.
            case expire
        }

        public enum Action: Sendable, Equatable {
            /// Nothing to write: the event is allowed and the status stays.
            case accept
            /// Write the new status, guarded by the old one.
            case transition(from: UploadStatus, to: UploadStatus)
            /// The event does not apply in this state.
            case reject(from: UploadStatus)
        }

        public mutating func apply(_ event: Event) -> Action {
            let from = self.status
            let to: UploadStatus
            switch (from, event) {
            case (.receiving, .receiveChunk):
                return .accept
            case (.receiving, .startAssembly):
                to = .assembling
            case (.assembling, .assemblySucceeded):
                to = .completed
            case (.assembling, .assemblyFailed):
                to = .receiving
            case (.receiving, .abort):
                to = .aborted
            case (.receiving, .expire):
                to = .expired
            default:
                return .reject(from: from)
            }
            self.status = to
            return .transition(from: from, to: to)
        }
    }
}
