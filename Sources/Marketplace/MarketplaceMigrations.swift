import Database

/// Tables owned by the Marketplace module (migration ids 05xx).
public enum MarketplaceMigrations {
    public static let all: [Migration] = [
        Migration(
            id: "0501_marketplace",
            statements: [
                """
                CREATE TABLE marketplace_products (
                    id {uuid} PRIMARY KEY,
                    track_id {uuid} NOT NULL,
                    seller_id {uuid} NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('listed', 'unlisted')),
                    created_at {timestamp} NOT NULL,
                    updated_at {timestamp} NOT NULL
                )
                """,
                // One listed product per track: a second listing replaces licences, not products.
                """
                CREATE UNIQUE INDEX marketplace_products_one_listed_per_track ON marketplace_products (track_id)
                WHERE status = 'listed'
                """,
                """
                CREATE TABLE marketplace_licences (
                    id {uuid} PRIMARY KEY,
                    product_id {uuid} NOT NULL REFERENCES marketplace_products (id),
                    kind TEXT NOT NULL CHECK (kind IN ('basic', 'premium', 'exclusive')),
                    price_cents {bigint} NOT NULL CHECK (price_cents > 0),
                    currency TEXT NOT NULL CHECK (length(currency) = 3),
                    active INTEGER NOT NULL DEFAULT 1,
                    created_at {timestamp} NOT NULL
                )
                """,
                "CREATE INDEX marketplace_licences_product ON marketplace_licences (product_id, active)",
                """
                CREATE TABLE marketplace_seller_accounts (
                    seller_id {uuid} PRIMARY KEY,
                    stripe_account_id TEXT NOT NULL,
                    updated_at {timestamp} NOT NULL
                )
                """,
                """
                CREATE TABLE marketplace_orders (
                    id {uuid} PRIMARY KEY,
                    buyer_id {uuid} NOT NULL,
                    seller_id {uuid} NOT NULL,
                    product_id {uuid} NOT NULL REFERENCES marketplace_products (id),
                    licence_id {uuid} NOT NULL REFERENCES marketplace_licences (id),
                    licence_kind TEXT NOT NULL CHECK (licence_kind IN ('basic', 'premium', 'exclusive')),
                    amount_cents {bigint} NOT NULL CHECK (amount_cents > 0),
                    currency TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN
                        ('pending', 'completed', 'failed', 'refund_pending', 'refunded')),
                    payment_id TEXT UNIQUE,
                    paid_at {timestamp},
                    created_at {timestamp} NOT NULL,
                    updated_at {timestamp} NOT NULL
                )
                """,
                "CREATE INDEX marketplace_orders_buyer ON marketplace_orders (buyer_id, created_at)",
                "CREATE INDEX marketplace_orders_due ON marketplace_orders (status, created_at)",
                // A pending or paid exclusive order blocks every other exclusive order of the product.
                """
                CREATE UNIQUE INDEX marketplace_orders_one_exclusive ON marketplace_orders (product_id)
                WHERE licence_kind = 'exclusive' AND status IN ('pending', 'completed', 'refund_pending')
                """,
                """
                CREATE TABLE marketplace_licence_grants (
                    id {uuid} PRIMARY KEY,
                    order_id {uuid} NOT NULL UNIQUE REFERENCES marketplace_orders (id),
                    buyer_id {uuid} NOT NULL,
                    track_id {uuid} NOT NULL,
                    licence_id {uuid} NOT NULL REFERENCES marketplace_licences (id),
                    kind TEXT NOT NULL CHECK (kind IN ('basic', 'premium', 'exclusive')),
                    revoked_at {timestamp},
                    created_at {timestamp} NOT NULL
                )
                """,
                "CREATE INDEX marketplace_licence_grants_access ON marketplace_licence_grants (track_id, buyer_id)",
                """
                CREATE TABLE marketplace_refunds (
                    id {uuid} PRIMARY KEY,
                    order_id {uuid} NOT NULL REFERENCES marketplace_orders (id),
                    amount_cents {bigint} NOT NULL CHECK (amount_cents > 0),
                    currency TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
                    provider_refund_id TEXT UNIQUE,
                    created_at {timestamp} NOT NULL,
                    updated_at {timestamp} NOT NULL
                )
                """,
                // At most one refund in flight per order, whatever the races between nodes.
                """
                CREATE UNIQUE INDEX marketplace_refunds_one_pending ON marketplace_refunds (order_id)
                WHERE status = 'pending'
                """,
                "CREATE INDEX marketplace_refunds_due ON marketplace_refunds (status, created_at)",
                """
                CREATE TABLE marketplace_balances (
                    seller_id {uuid} NOT NULL,
                    currency TEXT NOT NULL,
                    amount_cents {bigint} NOT NULL CHECK (amount_cents >= 0),
                    updated_at {timestamp} NOT NULL,
                    PRIMARY KEY (seller_id, currency)
                )
                """,
                """
                CREATE TABLE marketplace_transfers (
                    id {uuid} PRIMARY KEY,
                    order_id {uuid} NOT NULL REFERENCES marketplace_orders (id),
                    seller_id {uuid} NOT NULL,
                    amount_cents {bigint} NOT NULL CHECK (amount_cents > 0),
                    currency TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN
                        ('pending', 'completed', 'failed', 'reversal_pending', 'reversed', 'permanently_failed')),
                    stripe_transfer_id TEXT UNIQUE,
                    stripe_reversal_id TEXT UNIQUE,
                    retry_count INTEGER NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
                    next_retry_at {timestamp},
                    last_error TEXT,
                    created_at {timestamp} NOT NULL,
                    updated_at {timestamp} NOT NULL,
                    CHECK (status <> 'reversal_pending' OR next_retry_at IS NOT NULL)
                )
                """,
                "CREATE INDEX marketplace_transfers_due ON marketplace_transfers (status, next_retry_at)",
                "CREATE INDEX marketplace_transfers_seller ON marketplace_transfers (seller_id, created_at)",
            ]
        )
    ]
}
