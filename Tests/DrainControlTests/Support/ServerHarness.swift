import Drain
import DrainClient
import DrainSQLite
import DrainTestSupport
import Foundation
import Logging
import MetricsTestKit
import ServiceLifecycle
import Testing

@testable import DrainControl

/// A real ``WorkerPool`` (SQLite journal) and a real ``ControlServer`` on a Unix socket in a private run
/// directory, run in a `ServiceGroup` the way `drain-demo` runs them.
final class ServerHarness: Sendable {
    let root: URL
    let pool: WorkerPool
    let server: ControlServer
    /// The metrics the server counts requests in (`drain_control_requests_total`).
    let metrics = TestMetrics()
    private let group: Task<Void, any Error>

    var socketPath: String { server.socketPath }

    /// - Parameters:
    ///   - concurrency: Jobs at once. Kinds: `sleep` (payload byte × 100 ms) and `noop`.
    ///   - history: Drains the journal keeps before the pool starts, oldest first.
    ///   - keepsHistory: False for a journal that keeps no drain history, as an in-memory one.
    ///   - configure: Changes to the server's limits.
    init(
        concurrency: Int = 8, eventBuffer: Int = 256, history: [ShutdownReport] = [], keepsHistory: Bool = true,
        configure: (inout ControlServerConfiguration) -> Void = { _ in }
    ) async throws {
        root = URL(fileURLWithPath: "/tmp/dct-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var poolConfiguration = WorkerPoolConfiguration(name: "fuzz")
        poolConfiguration.maxConcurrentJobs = concurrency
        poolConfiguration.subscriberBuffer = eventBuffer
        poolConfiguration.cancellationWindow = .milliseconds(200)
        let logger = Logger(label: "drainctl.tests", factory: { _ in SwiftLogNoOpLogHandler() })
        let journal = try SQLiteJournal(path: root.appendingPathComponent("j.sqlite").path)
        for report in history { try await journal.recordDrain(report) }
        let pool = WorkerPool(
            configuration: poolConfiguration,
            journal: keepsHistory ? journal : NoHistoryJournal(base: journal),
            logger: logger
        )
        pool.register(kind: "sleep") { job in
            try await Task.sleep(for: .milliseconds(100 * Int(job.payload.first ?? 1)))
        }
        pool.register(kind: "noop") { _ in }
        var configuration = ControlServerConfiguration(
            runDirectory: RunDirectory(path: root.appendingPathComponent("run").path))
        configure(&configuration)
        let server = try await ControlServer.bind(
            pool: pool, configuration: configuration, logger: logger, metrics: metrics)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: server, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore),
                    .init(service: pool, successTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: [], cancellationSignals: [], logger: logger
            )
        )
        self.pool = pool
        self.server = server
        self.group = Task { try await group.run() }
        try await eventually("the pool started") { pool.snapshot().recentEvents.contains { $0.kind == .started } }
    }

    /// Forces the pool down and waits for the server to close. Safe to call twice.
    func stop() async {
        pool.force()
        _ = try? await group.value
        try? FileManager.default.removeItem(at: root)
    }

    /// Waits for the group (pool and server) to end on its own, after a drain.
    func waitForEnd() async throws { try await group.value }
}

/// A journal that keeps jobs (in SQLite) but no drain history, like an in-memory one: everything but the
/// history is `base`'s.
struct NoHistoryJournal: JobJournal {
    let base: SQLiteJournal

    func recover() async throws -> Int { try await base.recover() }
    func append(_ jobs: [NewJob]) async throws -> [JobID] { try await base.append(jobs) }
    func claim(limit: Int) async throws -> [Job] { try await base.claim(limit: limit) }
    func settle(_ outcomes: [JobOutcome]) async throws { try await base.settle(outcomes) }
    func counts() async throws -> JournalCounts { try await base.counts() }
    func sync() async throws { try await base.sync() }
}
