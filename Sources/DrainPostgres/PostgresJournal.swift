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
    /// Appends committed since the last `NOTIFY` to the peers: at most one pending, so that appends while a
    /// notification is on its way fold into the next one (see ``wakePeers()``).
    let peerWakes: AsyncStream<Void>
    let peerWakeContinuation: AsyncStream<Void>.Continuation

    struct State {
        var status: (@Sendable () -> WorkerStatus)?
        var continuation: AsyncStream<JournalUpdate>.Continuation?
        /// Jobs this worker's sweeps rescued before the pool subscribed to ``updates(status:)``, told then.
        /// Once ``recover()`` has registered the worker, the service's own sweep can rescue before the pool's
        /// `run()` subscribes (in a race with recover()'s sweep, which then finds nothing), and its count
        /// would be lost: the jobs would run, but `recovered` and its event would never say so.
        var unreportedRescues = 0
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
        var connection: PostgresConnection.Configuration
        switch configuration.endpoint {
        case .tcp(let host, let port):
            clientConfiguration = .init(
                host: host, port: port, username: configuration.username, password: configuration.password,
                database: configuration.database, tls: tls)
            connection = .init(
                host: host, port: port, username: configuration.username, password: configuration.password,
                database: configuration.database, tls: connectionTLS)
        case .unixSocket(let path):
            clientConfiguration = .init(
                unixSocketPath: path, username: configuration.username, password: configuration.password,
                database: configuration.database)
            connection = .init(
                unixSocketPath: path, username: configuration.username, password: configuration.password,
                database: configuration.database)
        }
        clientConfiguration.options.maximumConnections = configuration.maximumConnections
        clientConfiguration.options.connectTimeout = configuration.operationTimeout
        // The prepared statements name their tables unqualified (PostgresStatements.swift): every connection
        // of the client resolves them in this journal's schema. The listener and the migration's connections
        // do not need it; every other statement names its schema.
        // Every session carries the worker's name, so the fleet sees at once when this process has ended
        // (`PostgresSchema.sessionName(worker:)`); the listener's session lasts as long as the worker.
        let session = ("application_name", PostgresSchema.sessionName(worker: workerID))
        clientConfiguration.options.additionalStartupParameters = [
            ("search_path", "\"\(configuration.schema)\""), session,
        ]
        connection.options.additionalStartupParameters = [session]
        connectionConfiguration = connection
        (peerWakes, peerWakeContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
    }

    public var description: String { "PostgresJournal(\(configuration.schema), worker \(workerID))" }

    public var isShared: Bool { true }

    // MARK: JobJournal

    /// Adds jobs; once they are committed the peers are woken by a `NOTIFY` of its own (``wakePeers()``).
    ///
    /// Not in the same transaction: a transaction that notifies holds the server's notification lock from
    /// before its commit until after the commit's flush, so appends that notified committed one at a time,
    /// each with its own flush, on the path of every `submit`. Committed first and notified after, appends
    /// share flushes, and those that commit while a notification is on its way share the next one.
    public func append(_ jobs: [NewJob]) async throws -> [JobID] {
        guard !jobs.isEmpty else { return [] }
        let statement = AppendJobs(kinds: jobs.map(\.kind), payloads: jobs.map { ByteBuffer(bytes: $0.payload) })
        let ids = try await rows(statement, "cannot add jobs to the PostgreSQL journal").sorted()
        guard ids.count == jobs.count else {
            throw DrainError(.journal, "the PostgreSQL journal stored \(ids.count) of \(jobs.count) jobs")
        }
        peerWakeContinuation.yield()
        return ids
    }

    public func claim(limit: Int) async throws -> [Job] {
        guard limit > 0 else { return [] }
        return try await rows(
            ClaimJobs(limit: limit, worker: workerID), "cannot claim jobs from the PostgreSQL journal"
        )
        .map { id, kind, payload, attempts in Job(id: id, kind: kind, payload: payload, attempt: attempts) }
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
            case .done: results.append(JobState.done.rawValue); messages.append("")
            case .failed(let message): results.append(JobState.failed.rawValue); messages.append(message)
            case .requeued: results.append("requeued"); messages.append("")
            case .released: results.append("released"); messages.append("")
            }
        }
        let statement = SettleJobs(
            ids: ids, results: results, messages: messages, worker: workerID, channel: schema.channel)
        _ = try await rows(statement, "cannot record outcomes in the PostgreSQL journal")
    }

    public func counts() async throws -> JournalCounts {
        let query: PostgresQuery = "SELECT state, count(*)::bigint FROM \(unescaped: schema.jobs) GROUP BY state"
        var counts = JournalCounts()
        let rows = try await rows(query, "cannot count the PostgreSQL journal's jobs") {
            try $0.decode((String, Int).self)
        }
        for (state, n) in rows {
            switch state {
            case JobState.queued.rawValue: counts.queued = n
            case JobState.running.rawValue: counts.running = n
            case JobState.done.rawValue: counts.done = n
            case JobState.failed.rawValue: counts.failed = n
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
                  AND state IN ('\(unescaped: JobState.done.rawValue)', '\(unescaped: JobState.failed.rawValue)')
                  AND started_at IS NOT NULL AND finished_at IS NOT NULL
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
                      AND state IN ('\(unescaped: JobState.done.rawValue)', '\(unescaped: JobState.failed.rawValue)')
                  AND started_at IS NOT NULL AND finished_at IS NOT NULL
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
        return try await answer(message, timeout: timeout) {
            var values: [T] = []
            for try await row in try await client.query(query, logger: logger) {
                values.append(try decode(row))
            }
            return values
        }
    }

    /// Runs one of the prepared statements (prepared on each connection at its first use) with the
    /// operation timeout, and decodes every row.
    func rows<Statement: PostgresPreparedStatement>(
        _ statement: Statement, _ message: String
    ) async throws -> [Statement.Row] where Statement.Row: Sendable {
        let client = self.client
        let logger = self.logger
        return try await answer(message) {
            var values: [Statement.Row] = []
            for try await row in try await client.execute(statement, logger: logger) {
                values.append(row)
            }
            return values
        }
    }

    /// The timeout (the operation timeout unless given) and the journal's errors around one call to the
    /// server.
    private func answer<T: Sendable>(
        _ message: String, timeout: Duration? = nil, _ body: @escaping @Sendable () async throws -> [T]
    ) async throws -> [T] {
        do {
            return try await withTimeout(timeout ?? configuration.operationTimeout, body)
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
