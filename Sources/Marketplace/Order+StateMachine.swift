extension Order {
    /// An order's life cycle as a value type, without I/O.
    ///
    /// ```
    /// pending ─paymentSucceeded──▶ completed ─refundRequested──▶ refund_pending ─refundSucceeded──▶ refunded
    /// pending ─paymentFailed──▶ failed        refund_pending ─refundFailed──▶ completed
    /// failed ─paymentSucceeded──▶ completed
    /// ```
    ///
    /// A success after a failure is still honoured: the money was taken (Hyperswitch can move a
    /// payment from failed to succeeded), so the buyer gets the licence and the seller the credit.
    public struct StateMachine: Sendable, Equatable {
        public private(set) var status: OrderStatus

        public init(status: OrderStatus) {
            self.status = status
        }

        public enum Event: Sendable, Equatable, CaseIterable {
            /// The provider confirmed the payment (webhook or reconciliation).
            case paymentSucceeded
            /// The provider reported the payment failed.
            case paymentFailed
            /// The buyer or the seller asked for a refund (phase 1).
            case refundRequested
            /// The provider confirmed the refund (phase 3).
            case refundSucceeded
            /// The refund failed at the provider, or was orphaned by a crash between phases 1 and 2.
            case refundFailed
        }

        /// What the caller does, in the same transaction as the guarded status write.
        public enum Effect: Sendable, Equatable, CaseIterable {
            /// Grant the buyer a live licence for the track.
            case grantLicence
            /// Credit the seller's balance with the price less the platform fee.
            case creditSeller
            /// Insert a `pending` seller transfer row (the Stripe call happens after the commit).
            case createTransfer
            /// Unlist the product when the licence is exclusive.
            case unlistIfExclusive
            /// Revoke the buyer's licence.
            case revokeLicence
            /// Debit the seller's balance, clamped at zero.
            case debitSeller
            /// Move every completed transfer of the order to `reversal_pending`.
            case reverseTransfers
        }

        public enum Action: Sendable, Equatable {
            /// Write `to` guarded by `from`, and carry out `effects` in the same transaction.
            case transition(from: OrderStatus, to: OrderStatus, effects: [Effect])
            /// Already there or not applicable: nothing is written (a duplicate webhook lands here).
            case reject(from: OrderStatus)
        }

        public mutating func apply(_ event: Event) -> Action {
            let from = self.status
            let to: OrderStatus
            let effects: [Effect]
            switch (from, event) {
            case (.pending, .paymentSucceeded), (.failed, .paymentSucceeded):
                to = .completed
                effects = [.grantLicence, .creditSeller, .createTransfer, .unlistIfExclusive]
            case (.pending, .paymentFailed):
                to = .failed
                effects = []
            case (.completed, .refundRequested):
                to = .refundPending
                effects = []
            case (.refundPending, .refundSucceeded):
                to = .refunded
                effects = [.revokeLicence, .debitSeller, .reverseTransfers]
            case (.refundPending, .refundFailed):
                to = .completed
                effects = []
            default:
                return .reject(from: from)
            }
            self.status = to
            return .transition(from: from, to: to, effects: effects)
        }
    }
}
