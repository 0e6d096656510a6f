import Foundation
import Subscription
import Testing

typealias Machine = UserSubscription.StateMachine

/// Every event the subscription machine knows, with every parameter value.
let allSubscriptionEvents: [Machine.Event] =
    Machine.SubscribeKind.allCases.map { .subscribe($0) }
    + InvoiceKind.allCases.map { .paymentSucceeded($0) } + InvoiceKind.allCases.map { .paymentFailed($0) }
    + [.trialEnded] + Machine.PeriodEnd.allCases.map { .periodEnded($0) } + [.graceExpired]
    + [.cancel(paidPeriod: true), .cancel(paidPeriod: false)]
    + [.reactivate(cancelScheduled: true), .reactivate(cancelScheduled: false)]
    + Machine.ChangeKind.allCases.map { .change($0) }

struct Row {
    let from: SubscriptionStatus?
    let event: Machine.Event
    let to: SubscriptionStatus
    let effects: [Machine.Effect]
}

/// The allowed transitions, written out; every other (state, event) pair must be rejected.
let allowedTransitions: [Row] = {
    var rows: [Row] = []
    for start in [nil, SubscriptionStatus.canceled, .expired] {
        rows.append(Row(from: start, event: .subscribe(.free), to: .active, effects: [.createSubscription]))
        rows.append(Row(from: start, event: .subscribe(.trial), to: .trialing, effects: [.createSubscription]))
        rows.append(
            Row(
                from: start,
                event: .subscribe(.paid),
                to: .pendingPayment,
                effects: [.createSubscription, .createInvoice(.initial)]
            )
        )
    }
    rows += [
        Row(from: .pendingPayment, event: .paymentSucceeded(.initial), to: .active, effects: [.startPeriod]),
        Row(from: .pendingPayment, event: .paymentFailed(.initial), to: .expired, effects: []),
        Row(from: .pastDue, event: .paymentSucceeded(.renewal), to: .active, effects: [.switchPlan, .renewPeriod]),
        Row(from: .pastDue, event: .paymentFailed(.renewal), to: .pastDue, effects: []),
        Row(
            from: .active,
            event: .paymentSucceeded(.upgrade),
            to: .active,
            effects: [.switchPlan, .startPeriod, .clearCancel]
        ),
        Row(from: .active, event: .paymentFailed(.upgrade), to: .active, effects: []),
        Row(from: .trialing, event: .trialEnded, to: .pendingPayment, effects: [.createInvoice(.initial)]),
        Row(
            from: .active,
            event: .periodEnded(.renew),
            to: .pastDue,
            effects: [.startGrace, .createInvoice(.renewal)]
        ),
        Row(from: .active, event: .periodEnded(.cancel), to: .canceled, effects: [.voidPendingInvoices]),
        Row(
            from: .active,
            event: .periodEnded(.downgradeToFree),
            to: .active,
            effects: [.switchPlan, .clearPeriod, .voidPendingInvoices]
        ),
        Row(from: .pastDue, event: .graceExpired, to: .expired, effects: [.voidPendingInvoices]),
        Row(from: .active, event: .cancel(paidPeriod: true), to: .active, effects: [.scheduleCancel]),
        Row(from: .active, event: .cancel(paidPeriod: false), to: .canceled, effects: [.voidPendingInvoices]),
        Row(from: .active, event: .reactivate(cancelScheduled: true), to: .active, effects: [.clearCancel]),
        Row(from: .active, event: .change(.upgrade), to: .active, effects: [.createInvoice(.upgrade)]),
        Row(from: .active, event: .change(.scheduled), to: .active, effects: [.scheduleChange]),
    ]
    for state in [SubscriptionStatus.trialing, .pendingPayment, .pastDue] {
        for paid in [true, false] {
            rows.append(
                Row(from: state, event: .cancel(paidPeriod: paid), to: .canceled, effects: [.voidPendingInvoices])
            )
        }
    }
    return rows
}()

@Suite("Subscription state machine")
struct SubscriptionStateMachineTests {
    static let states: [SubscriptionStatus?] = [nil] + SubscriptionStatus.allCases.map { $0 }

    @Test("every state × event", arguments: states)
    func table(from: SubscriptionStatus?) {
        for event in allSubscriptionEvents {
            var machine = Machine(status: from)
            let action = machine.apply(event)
            if let row = allowedTransitions.first(where: { $0.from == from && $0.event == event }) {
                #expect(
                    action == .apply(from: from, to: row.to, effects: row.effects),
                    "\(String(describing: from)) × \(event)"
                )
                #expect(machine.status == row.to)
            } else {
                #expect(action == .reject(from: from), "\(String(describing: from)) × \(event) must be rejected")
                #expect(machine.status == from, "a rejected event changes nothing")
            }
        }
    }

    @Test("no path reaches active from pending_payment except a confirmed initial payment")
    func activationNeedsPayment() {
        for event in allSubscriptionEvents where event != .paymentSucceeded(.initial) {
            var machine = Machine(status: .pendingPayment)
            if case .apply(_, let to, _) = machine.apply(event) {
                #expect(to != .active && to != .trialing && to != .pastDue, "\(event)")
            }
        }
    }
}

@Suite("Invoice state machine")
struct InvoiceStateMachineTests {
    @Test("every state × event", arguments: InvoiceStatus.allCases)
    func table(from: InvoiceStatus) {
        let allowed: [InvoiceStatus: [Invoice.StateMachine.Event: InvoiceStatus]] = [
            .pending: [.paymentSucceeded: .paid, .paymentFailed: .failed, .void: .void],
            .failed: [.paymentSucceeded: .paid],
            .void: [.paymentSucceeded: .paid],
            .paid: [:],
        ]
        for event in Invoice.StateMachine.Event.allCases {
            var machine = Invoice.StateMachine(status: from)
            let action = machine.apply(event)
            if let to = allowed[from]?[event] {
                #expect(action == .transition(from: from, to: to, stampPaidAt: to == .paid), "\(from) × \(event)")
            } else {
                #expect(action == .reject(from: from), "\(from) × \(event)")
                #expect(machine.status == from)
            }
        }
    }
}

@Suite("Feature gate")
struct FeatureGateRuleTests {
    static let grace = Duration.seconds(3 * 86400)
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("which statuses grant their plan's features", arguments: SubscriptionStatus.allCases)
    func grants(status: SubscriptionStatus) {
        let within = Self.now.addingTimeInterval(-86400)
        let beyond = Self.now.addingTimeInterval(-4 * 86400)
        let expected: (within: Bool, beyond: Bool, none: Bool)
        switch status {
        case .active, .trialing: expected = (true, true, true)
        case .pastDue: expected = (true, false, false)
        case .pendingPayment, .canceled, .expired: expected = (false, false, false)
        }
        #expect(
            FeatureGate.grants(status: status, pastDueSince: within, now: Self.now, grace: Self.grace)
                == expected.within
        )
        #expect(
            FeatureGate.grants(status: status, pastDueSince: beyond, now: Self.now, grace: Self.grace)
                == expected.beyond
        )
        #expect(
            FeatureGate.grants(status: status, pastDueSince: nil, now: Self.now, grace: Self.grace) == expected.none
        )
    }
}
