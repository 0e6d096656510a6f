import Database

/// Tables owned by the Subscription module, and the seeded plans.
public enum SubscriptionMigrations {
    public static let all: [Migration] = [
        Migration(
            id: "0401_subscriptions",
            statements: [
                """
                CREATE TABLE plans (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    currency TEXT NOT NULL,
                    monthly_cents {bigint} NOT NULL CHECK (monthly_cents >= 0),
                    yearly_cents {bigint} NOT NULL CHECK (yearly_cents >= 0),
                    trial_days INTEGER NOT NULL CHECK (trial_days >= 0),
                    features TEXT NOT NULL,
                    rank INTEGER NOT NULL UNIQUE
                )
                """,
                """
                INSERT INTO plans (id, name, currency, monthly_cents, yearly_cents, trial_days, features, rank) VALUES
                    ('free', 'Free', 'usd', 0, 0, 0, '', 0),
                    ('creator', 'Creator', 'usd', 999, 9900, 0, 'sell,distribution', 1),
                    ('premium', 'Premium', 'usd', 1999, 19900, 14, 'sell,distribution,hifi', 2)
                """,
                """
                CREATE TABLE subscriptions (
                    id {uuid} PRIMARY KEY,
                    user_id {uuid} NOT NULL,
                    plan_id TEXT NOT NULL REFERENCES plans (id),
                    billing_cycle TEXT NOT NULL CHECK (billing_cycle IN ('monthly', 'yearly')),
                    status TEXT NOT NULL CHECK (status IN
                        ('trialing', 'pending_payment', 'active', 'past_due', 'canceled', 'expired')),
                    current_period_start {timestamp},
                    current_period_end {timestamp},
                    trial_end {timestamp},
                    cancel_at_period_end INTEGER NOT NULL DEFAULT 0,
                    scheduled_plan_id TEXT REFERENCES plans (id),
                    scheduled_billing_cycle TEXT CHECK (scheduled_billing_cycle IN ('monthly', 'yearly')),
                    past_due_since {timestamp},
                    created_at {timestamp} NOT NULL,
                    updated_at {timestamp} NOT NULL
                )
                """,
                // At most one live subscription per user, whatever the races between nodes.
                """
                CREATE UNIQUE INDEX subscriptions_one_live_per_user ON subscriptions (user_id)
                WHERE status IN ('trialing', 'pending_payment', 'active', 'past_due')
                """,
                "CREATE INDEX subscriptions_due ON subscriptions (status, current_period_end)",
                // A trial is once per user: the first trialing row claims it.
                """
                CREATE TABLE trial_claims (
                    user_id {uuid} PRIMARY KEY,
                    subscription_id {uuid} NOT NULL,
                    claimed_at {timestamp} NOT NULL
                )
                """,
                """
                CREATE TABLE invoices (
                    id {uuid} PRIMARY KEY,
                    subscription_id {uuid} NOT NULL REFERENCES subscriptions (id),
                    user_id {uuid} NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('initial', 'renewal', 'upgrade')),
                    plan_id TEXT NOT NULL REFERENCES plans (id),
                    billing_cycle TEXT NOT NULL CHECK (billing_cycle IN ('monthly', 'yearly')),
                    amount_cents {bigint} NOT NULL CHECK (amount_cents > 0),
                    currency TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'failed', 'void')),
                    payment_id TEXT NOT NULL UNIQUE,
                    idempotency_key TEXT NOT NULL UNIQUE,
                    requested_at {timestamp},
                    paid_at {timestamp},
                    created_at {timestamp} NOT NULL,
                    updated_at {timestamp} NOT NULL
                )
                """,
                "CREATE INDEX invoices_subscription ON invoices (subscription_id, status)",
                "CREATE INDEX invoices_pending ON invoices (status, created_at)",
            ]
        ),
        Migration(
            id: "0402_webhook_events",
            statements: [
                // Every provider event id, once: a redelivery is a no-op before any state check.
                """
                CREATE TABLE webhook_events (
                    event_id TEXT PRIMARY KEY,
                    event_type TEXT NOT NULL,
                    object_id TEXT,
                    handled_by TEXT NOT NULL,
                    received_at {timestamp} NOT NULL
                )
                """
            ]
        ),
    ]
}
