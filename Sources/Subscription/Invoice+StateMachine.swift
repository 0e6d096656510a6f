extension Invoice {
    /// An invoice's life cycle as a value type, without I/O.
    ///
    /// ```
    /// pending ─paymentSucceeded──▶ paid      pending ─paymentFailed──▶ failed
    /// pending ─void──▶ void                  failed, void ─paymentSucceeded──▶ paid
    /// ```
    ///
    /// A success after a failure or a void is still recorded: the money was taken (Hyperswitch can
    /// move a payment from failed to succeeded), and an operator must see it to refund or honour it.
    public struct StateMachine: Sendable, Equatable {
        public private(set) var status: InvoiceStatus

        public init(status: InvoiceStatus) {
            self.status = status
        }

        public enum Event: Sendable, Equatable, CaseIterable {
            case paymentSucceeded
            case paymentFailed
            case void
        }

        public enum Action: Sendable, Equatable {
            /// Write `to` guarded by `from`; `stampPaidAt` when the payment is confirmed.
            case transition(from: InvoiceStatus, to: InvoiceStatus, stampPaidAt: Bool)
            /// Already there or not applicable: nothing is written.
            case reject(from: InvoiceStatus)
        }

        public mutating func apply(_ event: Event) -> Action {
            let from = self.status
            let to: InvoiceStatus
            switch (from, event) {
            case (.pending, .paymentSucceeded), (.failed, .paymentSucceeded), (.void, .paymentSucceeded):
                to = .paid
            case (.pending, .paymentFailed):
                to = .failed
            case (.pending, .void):
                to = .void
            default:
                return .reject(from: from)
            }
            self.status = to
            return .transition(from: from, to: to, stampPaidAt: to == .paid)
        }
    }
}
