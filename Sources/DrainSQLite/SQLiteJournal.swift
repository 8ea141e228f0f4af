import CDrainSQLite
import Drain
import Foundation
import GRDB
import Synchronization

/// The embedded journal: one SQLite file in WAL mode, through GRDB over the system SQLite.
///
/// Appends are committed with `synchronous = FULL`, so a job the pool has accepted survives a crash or a
/// power cut. Claims and outcomes are committed with `synchronous = NORMAL`: they reach the WAL file (and
/// so survive the process being killed) without an fsync of their own, and the next append's fsync, or
/// ``sync()``, makes them durable too, because the WAL is written in order. After a power cut a job that
/// had just finished may therefore run again; an accepted job is never lost. The pool batches calls
/// (group commit), so the fsync is paid per batch, not per job.
public final class SQLiteJournal: JobJournal {
    let pool: DatabasePool
    /// Claims or outcomes were written since the last fsync.
    private let relaxedWrites = Atomic<Bool>(false)
    /// How many drains the history keeps, and for how long.
    public let retention: DrainHistoryRetention

    /// Opens (or creates) the journal file.
    /// - Parameters:
    ///   - path: The SQLite file. Its directory must exist.
    ///   - retention: How much drain history to keep (default: 100 drains, 30 days).
    /// - Throws: ``DrainError`` with ``DrainError/Code/journal`` when the file cannot be opened or migrated.
    public init(path: String, retention: DrainHistoryRetention = DrainHistoryRetention()) throws {
        self.retention = retention
        var configuration = Configuration()
        configuration.label = "drain.journal"
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // A stopping process should not pay a checkpoint's fsyncs on close; the WAL is durable.
            let code = drain_sqlite_skip_checkpoint_on_close(db.sqliteConnection)
            guard code == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: code)) }
        }
        // Writes choose their own synchronous mode; see write(durable:_:).
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw DrainError(.journal, "cannot open the job journal at \(path)", cause: error)
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE jobs (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        kind TEXT NOT NULL,
                        payload BLOB NOT NULL,
                        state TEXT NOT NULL CHECK (state IN (\(JobState.sqlList))),
                        attempts INTEGER NOT NULL DEFAULT 0,
                        enqueued_at REAL NOT NULL,
                        started_at REAL,
                        finished_at REAL,
                        last_error TEXT
                    );
                    CREATE INDEX jobs_by_state ON jobs (state, id);
                    """
            )
        }
        // v2: runs cut short, kept apart from the jobs (a cut job is queued again, then run again) so that
        // predictions know how long they lasted at least. Journals written before it gain the empty table.
        migrator.registerMigration("v2") { db in
            try db.execute(
                sql: """
                    CREATE TABLE cut_runs (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        kind TEXT NOT NULL,
                        seconds REAL NOT NULL,
                        cut_at REAL NOT NULL
                    );
                    """
            )
        }
        // v3: the drain history (issue 21), one row per drain: the report as the protocol's JSON, with the
        // columns a listing filters and sorts on beside it. Journals written before it gain the empty table.
        migrator.registerMigration("v3") { db in
            try db.execute(sql: DrainHistorySQL.createTable)
        }
        return migrator
    }

    public func recover() async throws -> Int {
        try await write(durable: true) { db in
            try db.execute(
                sql:
                    "UPDATE jobs SET state = '\(JobState.queued)', started_at = NULL WHERE state = '\(JobState.running)'"
            )
            return db.changesCount
        }
    }

    public func append(_ jobs: [NewJob]) async throws -> [JobID] {
        guard !jobs.isEmpty else { return [] }
        let now = Date().timeIntervalSince1970
        return try await write(durable: true) { db in
            let statement = try db.cachedStatement(
                sql: "INSERT INTO jobs (kind, payload, state, enqueued_at) VALUES (?, ?, '\(JobState.queued)', ?)"
            )
            var ids: [JobID] = []
            ids.reserveCapacity(jobs.count)
            for job in jobs {
                try statement.execute(arguments: [job.kind, job.payload, now])
                ids.append(db.lastInsertedRowID)
            }
            return ids
        }
    }

    public func claim(limit: Int) async throws -> [Job] {
        guard limit > 0 else { return [] }
        let now = Date().timeIntervalSince1970
        return try await write(durable: false) { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    UPDATE jobs SET state = '\(JobState.running)', attempts = attempts + 1, started_at = ?
                    WHERE id IN (SELECT id FROM jobs WHERE state = '\(JobState.queued)' ORDER BY id LIMIT ?)
                    RETURNING id, kind, payload, attempts
                    """,
                arguments: [now, limit]
            )
            return rows.map { row in
                Job(id: row["id"], kind: row["kind"], payload: row["payload"], attempt: row["attempts"])
            }
            .sorted { $0.id < $1.id }
        }
    }

    public func settle(_ outcomes: [JobOutcome]) async throws {
        guard !outcomes.isEmpty else { return }
        let now = Date().timeIntervalSince1970
        try await write(durable: false) { db in
            let done = try db.cachedStatement(
                sql:
                    "UPDATE jobs SET state = '\(JobState.done)', finished_at = ? WHERE id = ? AND state = '\(JobState.running)'"
            )
            let failed = try db.cachedStatement(
                sql:
                    "UPDATE jobs SET state = '\(JobState.failed)', finished_at = ?, last_error = ? WHERE id = ? AND state = '\(JobState.running)'"
            )
            // A run cut short leaves how long it lasted, before its start is cleared.
            let cut = try db.cachedStatement(
                sql: """
                    INSERT INTO cut_runs (kind, seconds, cut_at)
                    SELECT kind, MAX(0, ? - started_at), ? FROM jobs
                    WHERE id = ? AND state = '\(JobState.running)' AND started_at IS NOT NULL
                    """
            )
            let requeued = try db.cachedStatement(
                sql:
                    "UPDATE jobs SET state = '\(JobState.queued)', started_at = NULL WHERE id = ? AND state = '\(JobState.running)'"
            )
            let released = try db.cachedStatement(
                sql: """
                    UPDATE jobs SET state = '\(JobState.queued)', started_at = NULL, attempts = attempts - 1
                    WHERE id = ? AND state = '\(JobState.running)'
                    """
            )
            for outcome in outcomes {
                switch outcome.result {
                case .done: try done.execute(arguments: [now, outcome.id])
                case .failed(let message): try failed.execute(arguments: [now, message, outcome.id])
                case .requeued:
                    try cut.execute(arguments: [now, now, outcome.id])
                    try requeued.execute(arguments: [outcome.id])
                case .released: try released.execute(arguments: [outcome.id])
                }
            }
        }
    }

    public func counts() async throws -> JournalCounts {
        do {
            return try await pool.read { db in
                var counts = JournalCounts()
                for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM jobs GROUP BY state") {
                    let n: Int = row["n"]
                    switch JobState(rawValue: row["state"]) {
                    case .queued: counts.queued = n
                    case .running: counts.running = n
                    case .done: counts.done = n
                    case .failed: counts.failed = n
                    case nil: break
                    }
                }
                return counts
            }
        } catch {
            throw DrainError(.journal, "cannot read the job journal", cause: error)
        }
    }

    /// How long the newest finished runs of each kind took: `finished_at − started_at` of `done` and
    /// `failed` rows, from the claim to the written outcome.
    ///
    /// Reads only the newest ``historyWindow`` rows by id (a primary-key range, no scan of a long
    /// journal), so a kind not run among them starts from its prior.
    public func recentDurations(limit: Int) async throws -> [String: [Double]] {
        guard limit > 0 else { return [:] }
        do {
            return try await pool.read { db in
                let rows = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT kind, finished_at - started_at AS seconds FROM jobs
                        WHERE id > (SELECT IFNULL(MAX(id), 0) FROM jobs) - ?
                          AND state IN ('\(JobState.done)', '\(JobState.failed)') AND started_at IS NOT NULL AND finished_at IS NOT NULL
                        ORDER BY id DESC
                        """,
                    arguments: [Self.historyWindow]
                )
                var durations: [String: [Double]] = [:]
                while let row = try rows.next() {
                    let kind: String = row["kind"]
                    let seconds: Double = row["seconds"]
                    guard seconds >= 0, durations[kind, default: []].count < limit else { continue }
                    durations[kind, default: []].append(seconds)
                }
                return durations
            }
        } catch {
            throw DrainError(.journal, "cannot read job durations from the journal", cause: error)
        }
    }

    /// The newest finished runs and runs cut short of each kind, newest first: `done` and `failed` rows
    /// (as ``recentDurations(limit:)`` reads them) merged by time with the `cut_runs` table's, each
    /// table read over its newest ``historyWindow`` rows.
    public func recentRuns(limit: Int) async throws -> [String: [RunDuration]] {
        guard limit > 0 else { return [:] }
        do {
            return try await pool.read { db in
                var runs: [(kind: String, at: Double, run: RunDuration)] = []
                let finished = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT kind, finished_at AS at, finished_at - started_at AS seconds FROM jobs
                        WHERE id > (SELECT IFNULL(MAX(id), 0) FROM jobs) - ?
                          AND state IN ('\(JobState.done)', '\(JobState.failed)') AND started_at IS NOT NULL AND finished_at IS NOT NULL
                        """,
                    arguments: [Self.historyWindow]
                )
                while let row = try finished.next() {
                    runs.append((row["kind"], row["at"], RunDuration(seconds: row["seconds"])))
                }
                let cut = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT kind, cut_at AS at, seconds FROM cut_runs
                        WHERE id > (SELECT IFNULL(MAX(id), 0) FROM cut_runs) - ?
                        """,
                    arguments: [Self.historyWindow]
                )
                while let row = try cut.next() {
                    runs.append((row["kind"], row["at"], RunDuration(seconds: row["seconds"], censored: true)))
                }
                runs.sort { $0.at > $1.at }
                var result: [String: [RunDuration]] = [:]
                for entry in runs where entry.run.seconds >= 0 {
                    guard result[entry.kind, default: []].count < limit else { continue }
                    result[entry.kind, default: []].append(entry.run)
                }
                return result
            }
        } catch {
            throw DrainError(.journal, "cannot read job durations from the journal", cause: error)
        }
    }

    /// How many of the newest jobs (and of the newest cut runs) the history looks at.
    static let historyWindow = 20_000

    /// Checkpoints the WAL into the database file with an fsync, when relaxed writes are pending.
    public func sync() async throws {
        guard relaxedWrites.load(ordering: .acquiring) else { return }
        do {
            try await pool.writeWithoutTransaction { db in
                guard self.relaxedWrites.load(ordering: .acquiring) else { return }
                try db.execute(sql: "PRAGMA synchronous = FULL")
                try db.execute(sql: "PRAGMA wal_checkpoint(FULL)")
                self.relaxedWrites.store(false, ordering: .releasing)
            }
        } catch {
            throw DrainError(.journal, "cannot sync the job journal", cause: error)
        }
    }

    /// One transaction; `durable` decides whether its commit waits for an fsync.
    ///
    /// The mode is set before every transaction, not restored after, so that a failure half-way can
    /// never leave an append running with the relaxed mode.
    func write<T: Sendable>(
        durable: Bool, _ body: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        do {
            return try await pool.writeWithoutTransaction { db -> T in
                try db.execute(sql: durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
                var result: Result<T, any Error> = .failure(CancellationError())
                try db.inTransaction {
                    result = .success(try body(db))
                    return .commit
                }
                // Recorded on the writer, in commit order: a durable commit's fsync covered every earlier
                // frame of the WAL, a relaxed one leaves work for sync().
                self.relaxedWrites.store(!durable, ordering: .releasing)
                return try result.get()
            }
        } catch {
            throw DrainError(.journal, "cannot write the job journal", cause: error)
        }
    }
}
