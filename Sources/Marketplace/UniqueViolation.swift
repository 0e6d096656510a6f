/// Whether a database error is a unique-index violation (PostgreSQL SQLSTATE 23505, SQLite
/// `UNIQUE constraint failed`): the partial unique indexes are the guards of races between nodes.
func isUniqueViolation(_ error: any Error) -> Bool {
    let text = String(reflecting: error)
    return text.contains("23505") || text.contains("UNIQUE constraint failed") || text.contains("unique_violation")
        || text.contains("duplicate key value")
}
