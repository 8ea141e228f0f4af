import Drain
import DrainLocalPostgres
import DrainPostgres
import DrainTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// Journals and pools of one fleet: a schema of its own in a PostgreSQL test server.
struct Fleet {
    let server: LocalPostgres
    let schema: String

    /// A fleet in the shared test server, in a schema no other test uses.
    init(server: LocalPostgres? = nil) async throws {
        if let server {
            self.server = server
        } else {
            self.server = try await LocalPostgres.shared()
        }
        schema = "t_" + UUID().uuidString.prefix(13).lowercased().replacingOccurrences(of: "-", with: "")
    }

    static let logger = Logger(label: "drain-postgres-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    func configuration(
        lease: Duration = .seconds(2), heartbeat: Duration = .milliseconds(250), name: String = "worker",
        operationTimeout: Duration = .seconds(30)
    ) throws -> PostgresJournalConfiguration {
        var configuration = try PostgresJournalConfiguration(url: server.url(schema: schema))
        configuration.lease = lease
        configuration.heartbeat = heartbeat
        configuration.workerName = name
        // Far above the default 5 s: one private server serves every test at once, and a loaded two-core
        // machine (the suite beside two CPU hogs) took over 5 s to migrate a schema. No test here measures
        // the timeout itself; a stopped server is refused at once.
        configuration.operationTimeout = operationTimeout
        return configuration
    }

    func journal(
        lease: Duration = .seconds(2), heartbeat: Duration = .milliseconds(250), name: String = "worker",
        operationTimeout: Duration = .seconds(30)
    ) throws -> PostgresJournal {
        try PostgresJournal(
            configuration: configuration(
                lease: lease, heartbeat: heartbeat, name: name, operationTimeout: operationTimeout),
            logger: Self.logger)
    }

    /// Runs `body` with a recovered journal whose service runs beside it, and stops the service after
    /// `body`, also when it throws: a producer, for the tests that only append.
    func withProducer<T>(
        lease: Duration = .seconds(2), heartbeat: Duration = .milliseconds(250),
        _ body: (PostgresJournal) async throws -> T
    ) async throws -> T {
        let producer = try journal(lease: lease, heartbeat: heartbeat, name: "producer")
        let service = Task { try await producer.run() }
        defer { service.cancel() }
        _ = try await producer.recover()
        return try await body(producer)
    }

    /// One SQL value from the fleet's schema (`$s` stands for it).
    @discardableResult
    func value(_ sql: String) async throws -> String {
        try await server.psql(sql.replacingOccurrences(of: "$s", with: "\"\(schema)\""))
    }

    func count(_ whereClause: String) async throws -> Int {
        Int(try await value("SELECT count(*) FROM $s.jobs WHERE \(whereClause)")) ?? -1
    }
}

/// A pool on a PostgreSQL journal, with the journal's service running beside it.
final class FleetWorker: Sendable {
    let journal: PostgresJournal
    let pool: WorkerPool
    /// Every job started here.
    let starts = Starts()
    let gate = Gate()
    let tasks = Mutex<[Task<Void, any Error>]>([])

    init(
        _ journal: PostgresJournal, name: String = "worker", concurrency: Int = 4, grace: Duration = .seconds(10),
        cancellationWindow: Duration = .milliseconds(200)
    ) {
        self.journal = journal
        var configuration = WorkerPoolConfiguration(name: name)
        configuration.maxConcurrentJobs = concurrency
        configuration.defaultGrace = grace
        configuration.cancellationWindow = cancellationWindow
        pool = WorkerPool(configuration: configuration, journal: journal, logger: Fleet.logger)
        let started = self.starts
        let gate = self.gate
        pool.register(kind: "quick") { job in started.add(job) }
        // `wait`: blocks until the test opens the gate; honours cancellation.
        pool.register(kind: "wait") { job in
            started.add(job)
            try await gate.pass()
        }
    }

    /// Starts the journal's service, then the pool (the order a `ServiceGroup` would use).
    func start() async throws {
        let journal = self.journal
        let pool = self.pool
        let service = Task { try await journal.run() }
        let run = Task { try await pool.run() }
        tasks.withLock { $0 = [service, run] }
        try await eventually("the pool to load its journal") { pool.snapshot().loaded }
    }

    var startedIDs: [JobID] { starts.ids }

    /// Drains the pool, waits for it, then stops the journal's service.
    func stop(grace: Duration = .seconds(10)) async {
        _ = try? pool.drain(grace: grace)
        await pool.waitUntilStopped()
        kill()
    }

    /// Stops both tasks.
    func kill() {
        for task in tasks.withLock({ $0 }) { task.cancel() }
    }

    /// Stops the journal's service only: no more heartbeats or writes, as if the process had been cut off
    /// or killed; the pool itself is left hanging until ``stop(grace:)``.
    func silence() {
        tasks.withLock { $0.first }?.cancel()
    }
}

/// The jobs a worker started, in order.
final class Starts: Sendable {
    private let jobs = Mutex<[Job]>([])

    func add(_ job: Job) { jobs.withLock { $0.append(job) } }

    var ids: [JobID] { jobs.withLock { $0.map(\.id) } }
    var all: [Job] { jobs.withLock { $0 } }
}

/// A gate that jobs wait on until the test opens it.
final class Gate: Sendable {
    private let opened = Mutex(false)

    func open() { opened.withLock { $0 = true } }

    func pass() async throws {
        while !opened.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
    }
}
