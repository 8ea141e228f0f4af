import Drain
import Foundation
import PostgresNIO

extension PostgresJournal {
    /// Keeps the drain's report in the fleet's history, named by this worker (its id, name, host and pid)
    /// and the fleet (the schema), then prunes the history to ``PostgresJournalConfiguration/drainRetention``.
    ///
    /// One statement, so a drain is never half kept: the insert and the prune commit together. The prune
    /// cannot see the row being inserted (one snapshot per statement), so it keeps the newest `maxDrains - 1`
    /// older rows young enough to stay beside it. The age is judged by the database's clock, like every
    /// other time the fleet compares.
    /// - Returns: The drain's ID in the fleet's history.
    /// - Throws: `DrainError` `journal` when the database does not answer or refuses the row.
    @discardableResult
    public func recordDrain(_ report: ShutdownReport) async throws -> Int64? {
        let json = String(decoding: try report.jsonData(), as: UTF8.self)
        let retention = configuration.drainRetention
        let older = retention.maxDrains - 1
        let query: PostgresQuery = """
            WITH kept AS (
                INSERT INTO \(unescaped: schema.drains)
                    (fleet, worker_id, worker, host, pid, started_at, stopped_at, outcome, report)
                VALUES (\(schema.name), \(workerID), \(configuration.workerName), \(host), \(Int(report.pid)),
                    to_timestamp(\(report.drainStartedAt?.timeIntervalSince1970)),
                    to_timestamp(\(report.stoppedAt.timeIntervalSince1970)), \(report.outcome.rawValue), \(json))
                RETURNING id
            ), pruned AS (
                DELETE FROM \(unescaped: schema.drains)
                WHERE stopped_at < clock_timestamp() - make_interval(secs => \(retention.maxAgeSeconds))
                    OR id <= (
                        SELECT id FROM \(unescaped: schema.drains)
                        WHERE stopped_at >= clock_timestamp() - make_interval(secs => \(retention.maxAgeSeconds))
                        ORDER BY id DESC LIMIT 1 OFFSET \(older))
            )
            SELECT id FROM kept
            """
        let ids = try await rows(query, "cannot keep the drain in the PostgreSQL journal's history") {
            try $0.decode(Int64.self)
        }
        return ids.first
    }

    /// This journal keeps the fleet's drain history: a worker's control socket answers `history` with it.
    public var keepsDrainHistory: Bool { true }

    /// The fleet's newest drains, newest first: every worker's.
    /// - Parameter limit: The most returned.
    /// - Throws: `DrainError` `journal` when the history cannot be read.
    public func drainHistory(limit: Int = 100) async throws -> [DrainHistoryEntry] {
        try await history(
            """
            SELECT id, host, worker, report FROM \(unescaped: schema.drains) ORDER BY id DESC LIMIT \(max(0, limit))
            """)
    }

    /// One drain of the fleet's history; nil when it is not (or no longer) kept.
    /// - Throws: `DrainError` `journal` when the history cannot be read.
    public func drain(id: Int64) async throws -> DrainHistoryEntry? {
        try await history("SELECT id, host, worker, report FROM \(unescaped: schema.drains) WHERE id = \(id)").first
    }

    private func history(_ query: PostgresQuery) async throws -> [DrainHistoryEntry] {
        let rows = try await rows(query, "cannot read the drain history from the PostgreSQL journal") {
            try $0.decode((Int64, String, String, String).self)
        }
        return try rows.map { id, host, worker, json in
            do {
                var report = try JSONDecoder.drain.decode(ShutdownReport.self, from: Data(json.utf8))
                // Written before the ID was given: the history names it.
                report.historyID = id
                return DrainHistoryEntry(id: id, host: host, worker: worker, fleet: schema.name, report: report)
            } catch {
                throw DrainError(
                    .journal, "drain \(id) in the PostgreSQL journal's history cannot be read", cause: error)
            }
        }
    }
}
