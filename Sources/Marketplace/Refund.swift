import Foundation

/// Where a refund is; see ``Refund/StateMachine``.
public enum RefundStatus: String, Codable, Sendable, CaseIterable {
    /// Phase 1 wrote the row; the provider may or may not have been asked yet (`providerRefundID`).
    case pending
    /// The provider's webhook (the only authority) confirmed it.
    case succeeded
    /// The provider refused it, the call failed, or it was orphaned; the buyer may ask again.
    case failed
}

/// One refund of one order, in three phases: the row, the provider call, the webhook.
public struct Refund: Codable, Sendable, Equatable, Identifiable {
    /// Also the `refund_id` and `Idempotency-Key` sent to the provider.
    public var id: UUID
    public var orderID: UUID
    public var amountCents: Int64
    public var currency: String
    public var status: RefundStatus
    /// The provider's id, stored after phase 2; `nil` means we crashed between phases 1 and 2.
    public var providerRefundID: String?
    public var createdAt: Date

    public init(
        id: UUID,
        orderID: UUID,
        amountCents: Int64,
        currency: String,
        status: RefundStatus,
        providerRefundID: String?,
        createdAt: Date
    ) {
        self.id = id
        self.orderID = orderID
        self.amountCents = amountCents
        self.currency = currency
        self.status = status
        self.providerRefundID = providerRefundID
        self.createdAt = createdAt
    }
}

extension Refund {
    /// A refund's life cycle as a value type, without I/O.
    ///
    /// ```
    /// pending ─succeeded──▶ succeeded      pending ─failed──▶ failed
    /// ```
    ///
    /// Both ends are terminal: a late or duplicate webhook for a settled refund changes nothing.
    public struct StateMachine: Sendable, Equatable {
        public private(set) var status: RefundStatus

        public init(status: RefundStatus) {
            self.status = status
        }

        public enum Event: Sendable, Equatable, CaseIterable {
            /// `refund_succeeded` (webhook or reconciliation).
            case succeeded
            /// `refund_failed`, a provider error in phase 2, or an orphan found by the reconciler.
            case failed
        }

        public enum Action: Sendable, Equatable {
            /// Write `to` guarded by `from`, with the matching order event in the same transaction.
            case transition(from: RefundStatus, to: RefundStatus, orderEvent: Order.StateMachine.Event)
            /// Terminal already: nothing is written.
            case reject(from: RefundStatus)
        }

        public mutating func apply(_ event: Event) -> Action {
            let from = self.status
            guard from == .pending else { return .reject(from: from) }
            switch event {
            case .succeeded:
                self.status = .succeeded
                return .transition(from: from, to: .succeeded, orderEvent: .refundSucceeded)
            case .failed:
                self.status = .failed
                return .transition(from: from, to: .failed, orderEvent: .refundFailed)
            }
        }
    }
}
