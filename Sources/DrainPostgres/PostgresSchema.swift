import Drain
import Foundation

/// The journal's tables in one PostgreSQL schema, and the migrations that build them.
///
/// Each fleet has a schema of its own, so two fleets can share a database. `schema_version` holds the
/// last migration applied; migrations run in order, in one transaction, under an advisory lock, so that
/// workers starting at once migrate exactly once.
package struct PostgresSchema: Sendable {
    /// The schema name, already checked to be a plain identifier (it is spliced into SQL).
    let name: String

    package init(name: String) throws {
        try PostgresJournalConfiguration.validate(schema: name)
        self.name = name
    }

    var jobs: String { "\"\(name)\".jobs" }
    var workers: String { "\"\(name)\".workers" }
    var cutRuns: String { "\"\(name)\".cut_runs" }
    var drains: String { "\"\(name)\".drains" }
    var versionTable: String { "\"\(name)\".schema_version" }
    /// The LISTEN/NOTIFY channel: appends, hand-offs and rescues.
    var channel: String { "\(name)_jobs" }
    /// Advisory lock keys, per schema, so that two fleets never wait for each other.
    var migrationLockKey: String { "drain.migrate.\(name)" }
    var rescueLockKey: String { "drain.rescue.\(name)" }

    /// The `application_name` of a worker's sessions, also written in its row (`session_name`).
    ///
    /// When a worker's process ends, however it ends, the kernel closes its connections and its sessions
    /// leave `pg_stat_activity` at once: the fleet sees that the worker is gone long before its lease runs
    /// out. Lower case, as PostgreSQL prints a uuid.
    static func sessionName(worker: UUID) -> String { "drain-\(worker.uuidString.lowercased())" }

    /// The condition, on the jobs table aliased `j`, of a job waiting for rescue: running, and held by no
    /// live worker.
    ///
    /// A worker is live while its row says it has not stopped, its heartbeat is younger than its lease, and
    /// a session of its own is connected. Only the lease decides the rescue itself (a connection lost to a
    /// network blip must not run a job twice); the session only makes the count prompt. A worker whose row
    /// names no session (an older build's) is judged by its lease alone. docs/KUBERNETES.md gives this
    /// condition as the KEDA trigger's query, and a test runs that query.
    var waitingForRescue: String {
        """
        j.state = '\(JobState.running)' AND NOT EXISTS (
            SELECT 1 FROM \(workers) w
            WHERE w.id = j.worker_id AND w.phase <> 'stopped'
                AND w.heartbeat_at >= clock_timestamp() - w.lease_ms * interval '1 millisecond'
                AND (w.session_name IS NULL
                    OR EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.application_name = w.session_name)))
        """
    }

    /// The latest version this build knows.
    var latestVersion: Int { migrations.count }

    /// The whole schema as one SQL script, as the migrations leave it, for tests and benchmarks that
    /// need a journal's tables without running a journal: one definition, so they cannot drift from it.
    package var script: String {
        let statements =
            ["CREATE SCHEMA \"\(name)\"", "CREATE TABLE \(versionTable) (version integer NOT NULL)"]
            + migrations.joined()
            + ["INSERT INTO \(versionTable) (version) VALUES (\(latestVersion))"]
        return statements.joined(separator: ";\n") + ";\n"
    }

    /// Migration `n` (1-based) is `migrations[n - 1]`: statements run in order.
    var migrations: [[String]] {
        [
            // v1: the queue and the workers table.
            [
                """
                CREATE TABLE \(jobs) (
                    id bigserial PRIMARY KEY,
                    kind text NOT NULL,
                    payload bytea NOT NULL,
                    state text NOT NULL CHECK (state IN (\(JobState.sqlList))),
                    attempts integer NOT NULL DEFAULT 0,
                    enqueued_at timestamptz NOT NULL DEFAULT now(),
                    started_at timestamptz,
                    finished_at timestamptz,
                    worker_id uuid,
                    last_error text
                )
                """,
                "CREATE INDEX jobs_queued ON \(jobs) (id) WHERE state = '\(JobState.queued)'",
                "CREATE INDEX jobs_running ON \(jobs) (worker_id) WHERE state = '\(JobState.running)'",
                """
                CREATE TABLE \(workers) (
                    id uuid PRIMARY KEY,
                    name text NOT NULL,
                    host text NOT NULL,
                    pid integer NOT NULL,
                    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                    heartbeat_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                    lease_ms integer NOT NULL,
                    phase text NOT NULL,
                    in_flight integer NOT NULL DEFAULT 0,
                    deadline timestamptz,
                    drained integer
                )
                """,
            ],
            // v2: how often each job was rescued from a dead worker, and when a worker was found dead.
            [
                "ALTER TABLE \(jobs) ADD COLUMN rescues integer NOT NULL DEFAULT 0",
                "ALTER TABLE \(workers) ADD COLUMN dead_at timestamptz",
            ],
            // v3: runs cut short by a drain or a cancellation, which predictions count as lasting at least
            // that long; apart from the jobs, because a cut job is queued and run again.
            [
                """
                CREATE TABLE \(cutRuns) (
                    id bigserial PRIMARY KEY,
                    kind text NOT NULL,
                    seconds float8 NOT NULL,
                    cut_at timestamptz NOT NULL DEFAULT clock_timestamp()
                )
                """
            ],
            // v4: the drain a worker shows on its own screen, for the fleet view's rows: the grace (the
            // countdown's full length), the progress's total, and the prediction.
            [
                """
                ALTER TABLE \(workers)
                    ADD COLUMN grace_seconds float8,
                    ADD COLUMN drain_total integer,
                    ADD COLUMN eta_p50_seconds float8,
                    ADD COLUMN eta_p90_seconds float8,
                    ADD COLUMN expected_misses float8
                """
            ],
            // v5: the application_name of the worker's sessions (see `sessionName(worker:)`), so that a
            // worker whose process ended is seen at once, and its running jobs counted as waiting for rescue.
            ["ALTER TABLE \(workers) ADD COLUMN session_name text"],
            // v6: the drain history (issue 21), a row per drain of any worker of the fleet, named by the
            // worker (its id, name, host and pid) and the fleet (this schema). The report is the wire JSON
            // as text, not jsonb, so `drainctl report --json` hands out the bytes the worker wrote; the other
            // columns copy what a listing and a deploy's window need without decoding every report.
            [
                """
                CREATE TABLE \(drains) (
                    id bigserial PRIMARY KEY,
                    fleet text NOT NULL,
                    worker_id uuid NOT NULL,
                    worker text NOT NULL,
                    host text NOT NULL,
                    pid integer NOT NULL,
                    started_at timestamptz,
                    stopped_at timestamptz NOT NULL,
                    outcome text NOT NULL,
                    report text NOT NULL
                )
                """,
                "CREATE INDEX drains_by_stop ON \(drains) (stopped_at)",
            ],
        ]
    }
}
