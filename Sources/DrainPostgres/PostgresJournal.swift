import Drain
import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The shared journal: one PostgreSQL queue for a fleet of workers, so that a draining or dead worker's
/// jobs are picked up by the others.
///
/// Claims take rows with `FOR UPDATE SKIP LOCKED` in one statement, so no job runs on two live workers at
/// once. Every worker writes a heartbeat to a workers table about once a second; a worker silent for longer
/// than its lease is dead, and one live worker at a time (an advisory lock) puts its running jobs back in
/// the queue. Jobs handed back by a drain are queued at once and a `NOTIFY` wakes the other workers, which
/// `LISTEN` on a connection of their own and poll with the heartbeat in case a notification was missed.
///
/// The journal is a `Service`: it runs its `PostgresClient`, the listener and the heartbeat. Put it in the
/// `ServiceGroup` **before** the ``WorkerPool``: a group stops its services in reverse order, so the pool
/// stops first and can still write its outcomes.
public final class PostgresJournal: JobJournal, Service, CustomStringConvertible {
    public let configuration: PostgresJournalConfiguration
    /// This worker's row in the workers table.
    public let workerID = UUID()
    /// `gethostname(2)`, read once: `ProcessInfo.hostName` resolves names through DNS, which can block a
    /// thread of the cooperative pool for seconds on every heartbeat.
    let host: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()
    let schema: PostgresSchema
    let client: PostgresClient
    let connectionConfiguration: PostgresConnection.Configuration
    let logger: Logger
    let state = Mutex(State())

    struct State {
        var status: (@Sendable () -> WorkerStatus)?
        var continuation: AsyncStream<JournalUpdate>.Continuation?
        /// The pool has stopped: the workers row says so from now on.
        var stopped = false
        var registered = false
        /// ``run()`` has started: the client can answer.
        var running = false
    }

    /// Creates the journal; nothing is connected until ``recover()`` (called by the pool's `run()`) and
    /// ``run()``.
    /// - Parameters:
    ///   - configuration: Where the database is, the schema, and the fleet's timings.
    ///   - logger: Where the journal logs, with `drain.*` metadata keys.
    /// - Throws: ``PostgresJournalError`` for a bad schema name or timings; `DrainError` `journal` when
    ///   TLS cannot be set up.
    public init(configuration: PostgresJournalConfiguration, logger: Logger) throws {
        try configuration.validate()
        self.configuration = configuration
        self.schema = try PostgresSchema(name: configuration.schema)
        var logger = logger
        logger[metadataKey: "drain.journal"] = "postgres:\(configuration.schema)"
        self.logger = logger
        let tls: PostgresClient.Configuration.TLS
        let connectionTLS: PostgresConnection.Configuration.TLS
        switch configuration.tls {
        case .disable:
            tls = .disable
            connectionTLS = .disable
        case .prefer, .require, .verifyCA, .verifyFull:
            let tlsConfiguration = Self.tlsConfiguration(configuration)
            let context: NIOSSLContext
            do {
                context = try NIOSSLContext(configuration: tlsConfiguration)
            } catch {
                throw DrainError(.journal, "cannot set up TLS for PostgreSQL", cause: error)
            }
            tls = configuration.tls == .prefer ? .prefer(tlsConfiguration) : .require(tlsConfiguration)
            connectionTLS = configuration.tls == .prefer ? .prefer(context) : .require(context)
        }
        var clientConfiguration: PostgresClient.Configuration
        switch configuration.endpoint {
        case .tcp(let host, let port):
            clientConfiguration = .init(
                host: host, port: port, username: configuration.username, password: configuration.password,
                database: configuration.database, tls: tls)
            connectionConfiguration = .init(
                host: host, port: port, username: configuration.username, password: configuration.password,
                database: configuration.database, tls: connectionTLS)
        case .unixSocket(let path):
            clientConfiguration = .init(
                unixSocketPath: path, username: configuration.username, password: configuration.password,
                database: configuration.database)
            connectionConfiguration = .init(
                unixSocketPath: path, username: configuration.username, password: configuration.password,
                database: configuration.database)
        }
        clientConfiguration.options.maximumConnections = configuration.maximumConnections
        clientConfiguration.options.connectTimeout = configuration.operationTimeout
        client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
    }

    public var description: String { "PostgresJournal(\(configuration.schema), worker \(workerID))" }

    public var isShared: Bool { true }

    // MARK: JobJournal

    public func append(_ jobs: [NewJob]) async throws -> [JobID] {
        guard !jobs.isEmpty else { return [] }
        let kinds = jobs.map(\.kind)
        let payloads = jobs.map { ByteBuffer(bytes: $0.payload) }
        let query: PostgresQuery = """
            WITH ins AS (
                INSERT INTO \(unescaped: schema.jobs) (kind, payload, state)
                SELECT kind, payload, 'queued'
                FROM unnest(\(kinds)::text[], \(payloads)::bytea[]) WITH ORDINALITY AS n(kind, payload, ord)
                ORDER BY ord
                RETURNING id
            ), woken AS (SELECT pg_notify(\(schema.channel), 'append'))
            SELECT ins.id FROM ins, woken ORDER BY ins.id
            """
        let ids = try await rows(query, "cannot add jobs to the PostgreSQL journal") { try $0.decode(Int64.self) }
        guard ids.count == jobs.count else {
            throw DrainError(.journal, "the PostgreSQL journal stored \(ids.count) of \(jobs.count) jobs")
        }
        return ids
    }

    public func claim(limit: Int) async throws -> [Job] {
        guard limit > 0 else { return [] }
        let query: PostgresQuery = """
            WITH next AS (
                SELECT id FROM \(unescaped: schema.jobs) WHERE state = 'queued'
                ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED
            )
            UPDATE \(unescaped: schema.jobs) AS j
            SET state = 'running', attempts = j.attempts + 1, started_at = clock_timestamp(), worker_id = \(workerID)
            FROM next WHERE j.id = next.id
            RETURNING j.id, j.kind, j.payload, j.attempts
            """
        return try await rows(query, "cannot claim jobs from the PostgreSQL journal") { row in
            let (id, kind, payload, attempts) = try row.decode((Int64, String, Data, Int).self)
            return Job(id: id, kind: kind, payload: payload, attempt: attempts)
        }
        .sorted { $0.id < $1.id }
    }

    public func settle(_ outcomes: [JobOutcome]) async throws {
        guard !outcomes.isEmpty else { return }
        var ids: [Int64] = []
        var results: [String] = []
        var messages: [String] = []
        for outcome in outcomes {
            ids.append(outcome.id)
            switch outcome.result {
            case .done: results.append("done"); messages.append("")
            case .failed(let message): results.append("failed"); messages.append(message)
            case .requeued: results.append("requeued"); messages.append("")
            case .released: results.append("released"); messages.append("")
            }
        }
        // Only rows still running under this worker: a job rescued after this worker lost its lease runs
        // elsewhere now, and this outcome must not overwrite that run's. Jobs given back wake the others.
        // A run cut short (requeued) leaves how long it lasted in cut_runs: `prev` is the row as it was
        // before this statement, since the update clears its start.
        let query: PostgresQuery = """
            WITH o AS (
                SELECT * FROM unnest(\(ids)::bigint[], \(results)::text[], \(messages)::text[])
                    AS o(id, result, message)
            ), prev AS (
                SELECT id, started_at FROM \(unescaped: schema.jobs) WHERE id = ANY(\(ids)::bigint[])
            ), u AS (
                UPDATE \(unescaped: schema.jobs) AS j SET
                    state = CASE WHEN o.result IN ('done', 'failed') THEN o.result ELSE 'queued' END,
                    finished_at = CASE WHEN o.result IN ('done', 'failed') THEN clock_timestamp() END,
                    started_at = CASE WHEN o.result IN ('done', 'failed') THEN j.started_at END,
                    worker_id = CASE WHEN o.result IN ('done', 'failed') THEN j.worker_id END,
                    last_error = CASE WHEN o.result = 'failed' THEN o.message ELSE j.last_error END,
                    attempts = CASE WHEN o.result = 'released' THEN j.attempts - 1 ELSE j.attempts END
                FROM o, prev WHERE j.id = o.id AND prev.id = o.id AND j.state = 'running'
                    AND j.worker_id = \(workerID)
                RETURNING o.result, j.kind,
                    greatest(0, extract(epoch FROM clock_timestamp() - prev.started_at))::float8 AS seconds
            ), c AS (
                INSERT INTO \(unescaped: schema.cutRuns) (kind, seconds)
                SELECT kind, seconds FROM u WHERE result = 'requeued' AND seconds IS NOT NULL
            )
            SELECT count(*)::bigint,
                (SELECT pg_notify(\(schema.channel), 'handoff') FROM u
                 WHERE result IN ('requeued', 'released') LIMIT 1)
            FROM u
            """
        _ = try await rows(query, "cannot record outcomes in the PostgreSQL journal") { _ in () }
    }

    public func counts() async throws -> JournalCounts {
        let query: PostgresQuery = "SELECT state, count(*)::bigint FROM \(unescaped: schema.jobs) GROUP BY state"
        var counts = JournalCounts()
        let rows = try await rows(query, "cannot count the PostgreSQL journal's jobs") {
            try $0.decode((String, Int).self)
        }
        for (state, n) in rows {
            switch state {
            case "queued": counts.queued = n
            case "running": counts.running = n
            case "done": counts.done = n
            case "failed": counts.failed = n
            default: break
            }
        }
        return counts
    }

    /// The fleet's most recent finished runs of each kind, newest first: every worker predicts from what
    /// the whole fleet observed.
    public func recentDurations(limit: Int) async throws -> [String: [Double]] {
        guard limit > 0 else { return [:] }
        let window = Self.historyWindow
        let query: PostgresQuery = """
            SELECT kind, seconds FROM (
                SELECT kind, extract(epoch FROM finished_at - started_at)::float8 AS seconds,
                    row_number() OVER (PARTITION BY kind ORDER BY id DESC) AS n
                FROM \(unescaped: schema.jobs)
                WHERE id > (SELECT coalesce(max(id), 0) FROM \(unescaped: schema.jobs)) - \(window)
                  AND state IN ('done', 'failed') AND started_at IS NOT NULL AND finished_at IS NOT NULL
            ) recent
            WHERE n <= \(limit) AND seconds >= 0
            ORDER BY kind, n
            """
        var durations: [String: [Double]] = [:]
        for (kind, seconds) in try await rows(
            query, "cannot read job durations from the PostgreSQL journal",
            {
                try $0.decode((String, Double).self)
            })
        {
            durations[kind, default: []].append(seconds)
        }
        return durations
    }

    /// The fleet's most recent finished runs and runs cut short of each kind, newest first: the finished
    /// rows ``recentDurations(limit:)`` reads, merged by time with the `cut_runs` table's (censored), each
    /// table read over its newest ``historyWindow`` rows.
    public func recentRuns(limit: Int) async throws -> [String: [RunDuration]] {
        guard limit > 0 else { return [:] }
        let window = Self.historyWindow
        let query: PostgresQuery = """
            SELECT kind, seconds, censored FROM (
                SELECT kind, seconds, censored,
                    row_number() OVER (PARTITION BY kind ORDER BY at DESC, censored) AS n
                FROM (
                    SELECT kind, finished_at AS at,
                        extract(epoch FROM finished_at - started_at)::float8 AS seconds, false AS censored
                    FROM \(unescaped: schema.jobs)
                    WHERE id > (SELECT coalesce(max(id), 0) FROM \(unescaped: schema.jobs)) - \(window)
                      AND state IN ('done', 'failed') AND started_at IS NOT NULL AND finished_at IS NOT NULL
                    UNION ALL
                    SELECT kind, cut_at AS at, seconds, true AS censored FROM \(unescaped: schema.cutRuns)
                    WHERE id > (SELECT coalesce(max(id), 0) FROM \(unescaped: schema.cutRuns)) - \(window)
                ) runs
                WHERE seconds >= 0
            ) recent
            WHERE n <= \(limit)
            ORDER BY kind, n
            """
        var runs: [String: [RunDuration]] = [:]
        for (kind, seconds, censored) in try await rows(
            query, "cannot read job durations from the PostgreSQL journal",
            {
                try $0.decode((String, Double, Bool).self)
            })
        {
            runs[kind, default: []].append(RunDuration(seconds: seconds, censored: censored))
        }
        return runs
    }

    /// How many of the newest jobs (and of the newest cut runs) the history looks at, as the SQLite
    /// journal does.
    static let historyWindow = 20_000

    /// The pool has stopped: the workers row says so, and peers rescue at once whatever outcome this
    /// worker could not write, instead of waiting for its lease to run out.
    public func sync() async throws {
        state.withLock { $0.stopped = true }
        try await beat()
    }

    // MARK: Queries

    /// Runs one statement through the client with the operation timeout, and decodes every row.
    func rows<T: Sendable>(
        _ query: PostgresQuery, _ message: String, timeout: Duration? = nil,
        _ decode: @escaping @Sendable (PostgresRow) throws -> T
    ) async throws -> [T] {
        let client = self.client
        let logger = self.logger
        do {
            return try await withTimeout(timeout ?? configuration.operationTimeout) {
                var values: [T] = []
                for try await row in try await client.query(query, logger: logger) {
                    values.append(try decode(row))
                }
                return values
            }
        } catch {
            // The usual cause of a first call that never answers: the journal's service is not running.
            if !state.withLock({ $0.running }) {
                throw DrainError(
                    .journal, message,
                    cause: PostgresFailure(
                        description:
                            "\(PostgresFailure(error)); the PostgresJournal is not running: add it to the ServiceGroup before the pool"
                    ))
            }
            throw DrainError.postgres(message, error)
        }
    }
}
