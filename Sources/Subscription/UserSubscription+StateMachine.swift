extension UserSubscription {
    /// A user's subscription life cycle as a value type, without I/O.
    ///
    /// ```
    /// (none) ─subscribe free──▶ active          (none) ─subscribe paid, trial unused──▶ trialing
    /// (none) ─subscribe paid──▶ pending_payment ─paymentSucceeded──▶ active ─periodEnded──▶ past_due
    /// trialing ─trialEnded──▶ pending_payment   pending_payment ─paymentFailed──▶ expired
    /// past_due ─paymentSucceeded──▶ active      past_due ─graceExpired──▶ expired
    /// active ─cancel──▶ active (to the period end) ─periodEnded──▶ canceled
    /// ```
    ///
    /// `nil` is "no live subscription" (none yet, or only canceled/expired ones): subscribing then
    /// creates a new row. The repository turns every transition into one guarded
    /// `UPDATE … WHERE status = <from>`; the effects are carried out by ``SubscriptionService``.
    public struct StateMachine: Sendable, Equatable {
        public private(set) var status: SubscriptionStatus?

        public init(status: SubscriptionStatus?) {
            self.status = status
        }

        /// What kind of plan a subscribe asks for.
        public enum SubscribeKind: Sendable, Equatable, CaseIterable {
            case free
            /// A paid plan with a trial the user has never used.
            case trial
            case paid
        }

        /// What happens when a paid period ends.
        public enum PeriodEnd: Sendable, Equatable, CaseIterable {
            /// Bill the next period (the scheduled plan, if a downgrade is scheduled).
            case renew
            /// The user canceled during the period.
            case cancel
            /// A downgrade to the free plan was scheduled.
            case downgradeToFree
        }

        /// What a plan or cycle change is.
        public enum ChangeKind: Sendable, Equatable, CaseIterable {
            /// A higher plan: takes effect once its payment succeeds.
            case upgrade
            /// A lower plan or another cycle: takes effect at the period end.
            case scheduled
        }

        public enum Event: Sendable, Equatable {
            case subscribe(SubscribeKind)
            /// The provider confirmed the payment of an invoice of this kind.
            case paymentSucceeded(InvoiceKind)
            /// The provider reported the payment of an invoice of this kind failed.
            case paymentFailed(InvoiceKind)
            case trialEnded
            case periodEnded(PeriodEnd)
            /// `SUBSCRIPTION_GRACE` passed since the renewal became due.
            case graceExpired
            /// `paidPeriod`: the subscription has a paid period to run out.
            case cancel(paidPeriod: Bool)
            /// Undo a cancel scheduled for the period end.
            case reactivate(cancelScheduled: Bool)
            case change(ChangeKind)
        }

        /// A side effect of a transition, carried out in the same transaction as its update.
        public enum Effect: Sendable, Equatable {
            /// Insert the new subscription row.
            case createSubscription
            /// Insert an invoice of this kind and ask the provider for its payment.
            case createInvoice(InvoiceKind)
            /// A new period starts now (first payment, upgrade).
            case startPeriod
            /// The next period starts where the last one ended (renewal).
            case renewPeriod
            /// The plan and cycle become those of the paid invoice (upgrade) or the scheduled change.
            case switchPlan
            /// No period any more (the free plan).
            case clearPeriod
            case scheduleCancel
            case clearCancel
            case scheduleChange
            /// Void the subscription's pending invoices (nobody will pay them now).
            case voidPendingInvoices
            /// Start the grace (`past_due_since = now`).
            case startGrace
        }

        public enum Action: Sendable, Equatable {
            /// Write `to` (guarded by `from`; `from == to` still guards) and carry out `effects`.
            case apply(from: SubscriptionStatus?, to: SubscriptionStatus, effects: [Effect])
            /// The event does not apply in this state; nothing is written.
            case reject(from: SubscriptionStatus?)
        }

        public mutating func apply(_ event: Event) -> Action {
            let from = self.status
            guard let (to, effects) = Self.transition(from: from, event: event) else { return .reject(from: from) }
            self.status = to
            return .apply(from: from, to: to, effects: effects)
        }

        static func transition(
            from: SubscriptionStatus?,
            event: Event
        ) -> (SubscriptionStatus, [Effect])? {
            switch (from, event) {
            case (nil, .subscribe(.free)), (.canceled, .subscribe(.free)), (.expired, .subscribe(.free)):
                return (.active, [.createSubscription])
            case (nil, .subscribe(.trial)), (.canceled, .subscribe(.trial)), (.expired, .subscribe(.trial)):
                return (.trialing, [.createSubscription])
            case (nil, .subscribe(.paid)), (.canceled, .subscribe(.paid)), (.expired, .subscribe(.paid)):
                return (.pendingPayment, [.createSubscription, .createInvoice(.initial)])

            case (.pendingPayment, .paymentSucceeded(.initial)):
                return (.active, [.startPeriod])
            case (.pendingPayment, .paymentFailed(.initial)):
                return (.expired, [])
            case (.pastDue, .paymentSucceeded(.renewal)):
                return (.active, [.switchPlan, .renewPeriod])
            case (.pastDue, .paymentFailed(.renewal)):
                // The grace keeps running; the sweep expires it, a later payment still revives it.
                return (.pastDue, [])
            case (.active, .paymentSucceeded(.upgrade)):
                return (.active, [.switchPlan, .startPeriod, .clearCancel])
            case (.active, .paymentFailed(.upgrade)):
                return (.active, [])

            case (.trialing, .trialEnded):
                return (.pendingPayment, [.createInvoice(.initial)])
            case (.active, .periodEnded(.renew)):
                return (.pastDue, [.startGrace, .createInvoice(.renewal)])
            case (.active, .periodEnded(.cancel)):
                return (.canceled, [.voidPendingInvoices])
            case (.active, .periodEnded(.downgradeToFree)):
                return (.active, [.switchPlan, .clearPeriod, .voidPendingInvoices])
            case (.pastDue, .graceExpired):
                return (.expired, [.voidPendingInvoices])

            case (.active, .cancel(paidPeriod: true)):
                return (.active, [.scheduleCancel])
            case (.active, .cancel(paidPeriod: false)), (.trialing, .cancel), (.pendingPayment, .cancel),
                (.pastDue, .cancel):
                return (.canceled, [.voidPendingInvoices])
            case (.active, .reactivate(cancelScheduled: true)):
                return (.active, [.clearCancel])

            case (.active, .change(.upgrade)):
                return (.active, [.createInvoice(.upgrade)])
            case (.active, .change(.scheduled)):
                return (.active, [.scheduleChange])
            default:
                return nil
            }
        }
    }
}
