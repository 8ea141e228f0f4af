import Drain
import Foundation
import PostgresNIO

extension PostgresJournal {
    /// Creates or migrates the schema, registers this worker and rescues dead workers' jobs.
    ///
    /// A live worker's running jobs are left alone, however long they have run.
    /// - Returns: How many dead workers' jobs went back to the queue.
    /// - Throws: `DrainError` `journal` naming the server's answer (wrong password, missing database, …).
    public func recover() async throws -> Int {
        try await migrate()
        try await beat()
        return try await sweep()
    }

    /// Applies the migrations this build knows, up to `version` (the latest by default), on a connection
    /// of its own so that a refused login fails at once with the server's message.
    ///
    /// Safe when several workers start at once: they take turns on an advisory lock, and each applies
    /// only what is missing.
    /// - Throws: `DrainError` `journal`; also when the schema is newer than this build.
    package func migrate(upTo version: Int? = nil) async throws {
        let target = version ?? schema.latestVersion
        let schema = self.schema
        let configuration = connectionConfiguration
        let logger = self.logger
        do {
            try await withTimeout(self.configuration.operationTimeout) {
                let connection = try await PostgresConnection.connect(
                    configuration: configuration, id: 0, logger: logger)
                do {
                    try await connection.withTransaction(logger: logger) { connection in
                        try await connection.query(
                            "SELECT pg_advisory_xact_lock(hashtext(\(schema.migrationLockKey)))", logger: logger)
                        try await connection.query(
                            "CREATE SCHEMA IF NOT EXISTS \(unescaped: "\"\(schema.name)\"")", logger: logger)
                        try await connection.query(
                            "CREATE TABLE IF NOT EXISTS \(unescaped: schema.versionTable) (version integer NOT NULL)",
                            logger: logger)
                        var current = 0
                        for try await (found) in try await connection.query(
                            "SELECT coalesce(max(version), 0) FROM \(unescaped: schema.versionTable)",
                            logger: logger
                        ).decode(Int.self) {
                            current = found
                        }
                        guard current <= schema.latestVersion else {
                            throw PostgresFailure(
                                description:
                                    "schema \(schema.name) is at version \(current), newer than this build's \(schema.latestVersion)"
                            )
                        }
                        for next in (current + 1)...max(current + 1, target) where next <= target {
                            for statement in schema.migrations[next - 1] {
                                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                            }
                            try await connection.query(
                                "INSERT INTO \(unescaped: schema.versionTable) (version) VALUES (\(next))",
                                logger: logger)
                            logger.notice("migrated the journal schema", metadata: ["drain.schema.version": "\(next)"])
                        }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            }
        } catch {
            throw DrainError.postgres("cannot prepare the PostgreSQL journal in schema \(schema.name)", error)
        }
    }

    /// Writes this worker's heartbeat and its summary; creates its row on the first beat.
    /// - Returns: The shared queue's count and the jobs waiting for rescue, read in the same statement: the
    ///   heartbeat is also the poll.
    @discardableResult
    func beat() async throws -> (queued: Int, waitingForRescue: Int) {
        let (provider, stopped) = state.withLock { ($0.status, $0.stopped) }
        let status = provider?() ?? WorkerStatus(phase: .running, inFlight: 0)
        let phase = stopped ? DrainPhase.stopped.rawValue : status.phase.rawValue
        let host = self.host
        let pid = Int(getpid())
        let leaseMilliseconds =
            Int(configuration.lease.components.seconds * 1000)
            + Int(configuration.lease.components.attoseconds / 1_000_000_000_000_000)
        let query: PostgresQuery = """
            INSERT INTO \(unescaped: schema.workers) AS w
                (id, name, host, pid, lease_ms, phase, in_flight, deadline, drained,
                 grace_seconds, drain_total, eta_p50_seconds, eta_p90_seconds, expected_misses, session_name)
            VALUES (\(workerID), \(configuration.workerName), \(host), \(pid), \(leaseMilliseconds), \(phase),
                \(status.inFlight), \(status.deadline), \(status.drainedSinceStart),
                \(status.graceSeconds), \(status.inFlightAtDrainStart), \(status.etaP50Seconds),
                \(status.etaP90Seconds), \(status.expectedMisses), \(PostgresSchema.sessionName(worker: workerID)))
            ON CONFLICT (id) DO UPDATE SET heartbeat_at = clock_timestamp(),
                -- Phases only move forward: a beat that left before the final one may commit after it.
                phase = CASE WHEN w.phase = 'stopped' THEN w.phase ELSE excluded.phase END,
                in_flight = excluded.in_flight, deadline = excluded.deadline, drained = excluded.drained,
                grace_seconds = excluded.grace_seconds, drain_total = excluded.drain_total,
                eta_p50_seconds = excluded.eta_p50_seconds, eta_p90_seconds = excluded.eta_p90_seconds,
                expected_misses = excluded.expected_misses,
                dead_at = NULL
            RETURNING (
                SELECT count(*)::bigint FROM \(unescaped: schema.jobs)
                WHERE state = '\(unescaped: JobState.queued.rawValue)'
            ),
                (SELECT count(*)::bigint FROM \(unescaped: schema.jobs) j WHERE \(unescaped: schema.waitingForRescue))
            """
        // Half the lease: a beat slower than that puts the lease at risk, and the operator should see
        // "unreachable" while there is still time, not an operation timeout later. Never under 2 s, so a
        // busy but healthy database with a short lease does not read as down.
        // The first beat registers this worker at start: no lease is at stake yet, so it gets the operation
        // timeout, and a busy database at start-up is not read as down.
        let registered = state.withLock { $0.registered }
        let timeout =
            registered
            ? min(configuration.operationTimeout, max(configuration.lease / 2, .seconds(2)))
            : configuration.operationTimeout
        let counts = try await rows(query, "cannot write this worker's heartbeat", timeout: timeout) {
            try $0.decode((Int, Int).self)
        }
        state.withLock { $0.registered = true }
        return counts.first.map { (queued: $0.0, waitingForRescue: $0.1) } ?? (0, 0)
    }

    /// Puts dead workers' running jobs back in the queue; one worker of the fleet at a time.
    ///
    /// Two statements, no explicit transaction: a timed-out call must never leave a connection idle in a
    /// transaction holding the rescue lock, or no worker could rescue again. The lock is a transaction
    /// lock taken inside the rescuing statement itself, so it ends with that statement. Two rescuers can
    /// never requeue one run twice anyway: the update re-checks `state = 'running'` under the row lock.
    /// - Returns: How many jobs this call rescued (0 when another worker holds the rescue lock).
    func sweep() async throws -> Int {
        let machine = LeaseStateMachine(heartbeat: configuration.heartbeat, lease: configuration.lease, now: .zero)
        // Silence by the database's clock: workers' clocks need not agree.
        let peersQuery: PostgresQuery = """
            SELECT r.worker_id, extract(epoch FROM clock_timestamp() - w.heartbeat_at)::float8, w.lease_ms, w.phase
            FROM (SELECT DISTINCT worker_id FROM \(unescaped: schema.jobs)
                  WHERE state = '\(unescaped: JobState.running.rawValue)' AND worker_id IS NOT NULL) r
            LEFT JOIN \(unescaped: schema.workers) w ON w.id = r.worker_id
            """
        let peers = try await rows(peersQuery, "cannot read the workers table") { row in
            let (id, silence, lease, phase) = try row.decode((UUID, Double?, Int?, String?).self)
            return LeaseStateMachine.Peer(
                id: id, silence: silence.map { .milliseconds(Int64($0 * 1000)) },
                lease: lease.map { .milliseconds(Int64($0)) }, stopped: phase == DrainPhase.stopped.rawValue)
        }
        let dead = machine.deadPeers(peers, me: workerID)
        guard !dead.isEmpty else { return 0 }
        let rescueQuery: PostgresQuery = """
            WITH lock AS (SELECT pg_try_advisory_xact_lock(hashtext(\(schema.rescueLockKey))) AS held),
            r AS (
                UPDATE \(unescaped: schema.jobs)
                SET state = '\(unescaped: JobState.queued.rawValue)', started_at = NULL, worker_id = NULL,
                    rescues = rescues + 1
                WHERE state = '\(unescaped: JobState.running.rawValue)' AND worker_id = ANY(\(dead)::uuid[])
                    AND (SELECT held FROM lock)
                RETURNING id
            ),
            gone AS (
                UPDATE \(unescaped: schema.workers) SET dead_at = clock_timestamp()
                WHERE id = ANY(\(dead)::uuid[]) AND dead_at IS NULL AND (SELECT held FROM lock)
                RETURNING id
            )
            SELECT (SELECT count(*) FROM r)::bigint,
                (SELECT pg_notify(\(schema.channel), 'rescue') FROM r LIMIT 1),
                (SELECT count(*) FROM gone)::bigint
            """
        let rescued =
            try await rows(rescueQuery, "cannot rescue dead workers' jobs") { row in
                try row.decode((Int, String?, Int).self).0
            }
            .first ?? 0
        if rescued > 0 {
            logger.notice(
                "rescued dead workers' jobs", metadata: ["drain.rescued": "\(rescued)", "drain.workers": "\(dead)"])
        }
        return rescued
    }

    /// Deletes the rows of workers silent for longer than the retention that hold no running job.
    ///
    /// Any live worker may do it, and two at once do no harm: a row is deleted once. A row with running
    /// jobs stays, since the rescue finds a dead worker's jobs through it.
    /// - Returns: How many rows were deleted.
    @discardableResult
    package func prune() async throws -> Int {
        let retention = configuration.workerRetention.seconds
        let query: PostgresQuery = """
            WITH gone AS (
                DELETE FROM \(unescaped: schema.workers) w
                WHERE w.heartbeat_at < clock_timestamp() - make_interval(secs => \(retention))
                    AND w.id <> \(workerID)
                    AND NOT EXISTS (SELECT 1 FROM \(unescaped: schema.jobs) j
                                    WHERE j.state = '\(unescaped: JobState.running.rawValue)' AND j.worker_id = w.id)
                RETURNING w.id
            )
            SELECT count(*)::bigint FROM gone
            """
        let deleted = try await rows(query, "cannot delete old workers' rows") { try $0.decode(Int.self) }.first ?? 0
        if deleted > 0 {
            logger.info(
                "deleted the rows of workers silent for longer than the retention",
                metadata: [
                    "drain.workers.deleted": "\(deleted)", "drain.retention": "\(configuration.workerRetention)",
                ])
        }
        return deleted
    }
}
