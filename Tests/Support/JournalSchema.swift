import DrainPostgres

/// The journal's tables for a schema of one test, from the journal's own migrations, so the fleet tests
/// read the tables exactly as a worker leaves them.
/// - Throws: When `schema` is not a plain lower-case identifier.
public func journalSchema(_ schema: String) throws -> String {
    try PostgresSchema(name: schema).script
}
