import Drain
import Foundation
import GRDB

/// The drain history's table, shared by the journal's migration and its tests.
package enum DrainHistorySQL {
    /// The report column holds the ``ShutdownReport`` in the wire dialect, so `drainctl report --json` hands
    /// it out unchanged; the other columns copy what a listing needs without decoding every report.
    package static let createTable = """
        CREATE TABLE drains (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            pid INTEGER NOT NULL,
            host TEXT NOT NULL,
            started_at REAL,
            stopped_at REAL NOT NULL,
            outcome TEXT NOT NULL,
            report TEXT NOT NULL
        );
        CREATE INDEX drains_by_stop ON drains (stopped_at);
        """
}

extension SQLiteJournal {
    /// Keeps the drain's report, then prunes the history to ``retention``: in one durable transaction, so a
    /// drain the pool reported is never half kept.
    /// - Returns: The drain's ID in the history.
    @discardableResult
    public func recordDrain(_ report: ShutdownReport) async throws -> Int64? {
        let json = String(decoding: try report.jsonData(), as: UTF8.self)
        let host = ProcessInfo.processInfo.hostName
        let retention = retention
        let oldest = Date().timeIntervalSince1970 - retention.maxAgeSeconds
        return try await write(durable: true) { db in
            try db.execute(
                sql: """
                    INSERT INTO drains (name, pid, host, started_at, stopped_at, outcome, report)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    report.name, Int(report.pid), host, report.drainStartedAt?.timeIntervalSince1970,
                    report.stoppedAt.timeIntervalSince1970, report.outcome.rawValue, json,
                ]
            )
            // Past the count: every id at or below the newest kept one's successor. When fewer rows exist
            // the subquery is NULL and deletes nothing.
            try db.execute(
                sql: """
                    DELETE FROM drains WHERE stopped_at < ?
                       OR id <= (SELECT id FROM drains ORDER BY id DESC LIMIT 1 OFFSET ?)
                    """,
                arguments: [oldest, retention.maxDrains]
            )
            return db.lastInsertedRowID
        }
    }

    /// This journal keeps a drain history (its `drains` table): the control socket's `history` reads it.
    public var keepsDrainHistory: Bool { true }

    /// The newest drains in the history, newest first.
    /// - Parameter limit: The most returned.
    /// - Throws: ``DrainError`` with ``DrainError/Code/journal`` when the history cannot be read.
    public func drainHistory(limit: Int = 100) async throws -> [DrainHistoryEntry] {
        try await readHistory(sql: "SELECT id, host, report FROM drains ORDER BY id DESC LIMIT ?", [Int64(limit)])
    }

    /// One drain of the history; nil when it is not (or no longer) kept.
    /// - Throws: ``DrainError`` with ``DrainError/Code/journal`` when the history cannot be read.
    public func drain(id: Int64) async throws -> DrainHistoryEntry? {
        try await readHistory(sql: "SELECT id, host, report FROM drains WHERE id = ?", [id]).first
    }

    private func readHistory(sql: String, _ arguments: [Int64]) async throws -> [DrainHistoryEntry] {
        do {
            return try await pool.read { db in
                try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map { row in
                    let json: String = row["report"]
                    var report = try JSONDecoder.drain.decode(ShutdownReport.self, from: Data(json.utf8))
                    let id: Int64 = row["id"]
                    // Written before the ID was given: the history names it, as `drainctl report` shows it.
                    report.historyID = id
                    return DrainHistoryEntry(id: id, host: row["host"], report: report)
                }
            }
        } catch {
            throw DrainError(.journal, "cannot read the drain history from the journal", cause: error)
        }
    }
}
