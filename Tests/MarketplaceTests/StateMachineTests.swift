import Marketplace
import Testing

typealias OrderMachine = Order.StateMachine

/// The allowed order transitions, written out; every other (state, event) pair must be rejected.
let allowedOrderTransitions: [(OrderStatus, OrderMachine.Event, OrderStatus, [OrderMachine.Effect])] = [
    (.pending, .paymentSucceeded, .completed, [.grantLicence, .creditSeller, .createTransfer, .unlistIfExclusive]),
    (.failed, .paymentSucceeded, .completed, [.grantLicence, .creditSeller, .createTransfer, .unlistIfExclusive]),
    (.pending, .paymentFailed, .failed, []),
    (.completed, .refundRequested, .refundPending, []),
    (.refundPending, .refundSucceeded, .refunded, [.revokeLicence, .debitSeller, .reverseTransfers]),
    (.refundPending, .refundFailed, .completed, []),
]

/// The allowed transfer moves, written out independently of ``TransferStatus/allowedNext``.
let allowedTransferMoves: Set<String> = [
    "pending>completed", "pending>failed", "completed>reversal_pending", "failed>completed",
    "failed>permanently_failed", "reversal_pending>reversed", "reversal_pending>permanently_failed",
]

@Suite struct MarketplaceStateMachineTests {
    @Test func everyOrderPairMatchesTheTable() {
        var seen = 0
        for status in OrderStatus.allCases {
            for event in OrderMachine.Event.allCases {
                var machine = OrderMachine(status: status)
                let action = machine.apply(event)
                if let row = allowedOrderTransitions.first(where: { $0.0 == status && $0.1 == event }) {
                    seen += 1
                    #expect(action == .transition(from: status, to: row.2, effects: row.3), "\(status) \(event)")
                    #expect(machine.status == row.2)
                } else {
                    #expect(action == .reject(from: status), "\(status) \(event)")
                    #expect(machine.status == status)
                }
            }
        }
        #expect(seen == allowedOrderTransitions.count)
    }

    @Test func duplicatePaymentSucceededIsRejected() {
        var machine = OrderMachine(status: .pending)
        #expect(machine.apply(.paymentSucceeded) != .reject(from: .pending))
        #expect(machine.apply(.paymentSucceeded) == .reject(from: .completed))
    }

    @Test func everyRefundPairMatchesTheTable() {
        for status in RefundStatus.allCases {
            for event in Refund.StateMachine.Event.allCases {
                var machine = Refund.StateMachine(status: status)
                let action = machine.apply(event)
                switch (status, event) {
                case (.pending, .succeeded):
                    #expect(action == .transition(from: .pending, to: .succeeded, orderEvent: .refundSucceeded))
                case (.pending, .failed):
                    #expect(action == .transition(from: .pending, to: .failed, orderEvent: .refundFailed))
                default:
                    #expect(action == .reject(from: status), "\(status) \(event)")
                    #expect(machine.status == status)
                }
            }
        }
    }

    @Test func refundOrderEventsAreAllowedFromRefundPending() {
        for event in Refund.StateMachine.Event.allCases {
            var refund = Refund.StateMachine(status: .pending)
            guard case .transition(_, _, let orderEvent) = refund.apply(event) else {
                Issue.record("pending refund rejected \(event)")
                continue
            }
            var order = OrderMachine(status: .refundPending)
            #expect(order.apply(orderEvent) != .reject(from: .refundPending))
        }
    }

    @Test func allThirtySixTransferPairs() {
        var pairs = 0
        for from in TransferStatus.allCases {
            for to in TransferStatus.allCases {
                pairs += 1
                let allowed = allowedTransferMoves.contains("\(from.rawValue)>\(to.rawValue)")
                #expect(from.canMove(to: to) == allowed, "\(from) -> \(to)")
            }
        }
        #expect(pairs == 36)
        #expect(TransferStatus.allCases.filter(\.isTerminal) == [.reversed, .permanentlyFailed])
    }
}
