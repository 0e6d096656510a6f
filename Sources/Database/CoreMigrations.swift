/// Tables owned by the Database module.
public enum CoreMigrations {
    public static let all: [Migration] = [
        Migration(
            id: "0001_jobs",
            statements: [
                """
                CREATE TABLE jobs (
                    id {uuid} PRIMARY KEY,
                    queue TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    status TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    max_attempts INTEGER NOT NULL,
                    run_at {timestamp} NOT NULL,
                    locked_by TEXT,
                    lease_expires_at {timestamp},
                    last_error TEXT,
                    created_at {timestamp} NOT NULL,
                    updated_at {timestamp} NOT NULL,
                    CHECK (status IN ('queued', 'running', 'succeeded', 'dead'))
                )
                """,
                "CREATE INDEX jobs_claimable ON jobs (queue, status, run_at)",
            ]
        )
    ]
}
