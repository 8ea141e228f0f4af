import Drain
import DrainSQLite
import DrainTestSupport
import Foundation
import Logging
import Metrics
import Synchronization
import Testing

/// A pool on a temporary journal with a manual clock and a hand-fed signal stream.
final class PoolHarness: Sendable {
    let directory: URL
    let clock = ManualClock()
    let pool: WorkerPool
    let journal: SQLiteJournal
    let signals: AsyncStream<DrainSignal>.Continuation
    /// `wait` jobs block on `gates[payload.first ?? 0]`.
    let gates = (0..<4).map { _ in Gate() }
    var gate: Gate { gates[0] }
    let runTask: Mutex<Task<Void, any Error>?> = Mutex(nil)
    /// A directory the caller passed is the caller's to remove (a restart test reopens it).
    private let ownsDirectory: Bool

    init(
        concurrency: Int = 4, maxQueued: Int = 100, grace: Duration = .seconds(10), lameDuck: Duration = .zero,
        cancellationWindow: Duration = .seconds(1), journalDirectory: URL? = nil,
        metrics: any MetricsFactory = NOOPMetricsHandler.instance, gaugeRefresh: Duration? = nil,
        snapshotInterval: Duration? = nil
    ) throws {
        directory =
            journalDirectory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("drain-tests-\(UUID().uuidString)")
        ownsDirectory = journalDirectory == nil
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        journal = try SQLiteJournal(path: directory.appendingPathComponent("journal.sqlite").path)
        var configuration = WorkerPoolConfiguration(name: "test")
        configuration.maxConcurrentJobs = concurrency
        configuration.maxQueuedJobs = maxQueued
        configuration.defaultGrace = grace
        configuration.lameDuck = lameDuck
        configuration.cancellationWindow = cancellationWindow
        // Off unless a test asks: its sleeps on the manual clock would count as armed timers.
        configuration.gaugeRefreshInterval = gaugeRefresh
        // Likewise the snapshot tick: tests that count armed timers would count it.
        configuration.snapshotInterval = snapshotInterval
        let (stream, continuation) = AsyncStream.makeStream(of: DrainSignal.self)
        signals = continuation
        pool = WorkerPool(
            configuration: configuration, journal: journal, signals: stream, clock: clock,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), metrics: metrics
        )
        let gates = self.gates
        let gate = gates[0]
        // `wait`: blocks until the test opens the job's gate; honours cancellation.
        pool.register(kind: "wait") { job in try await gates[Int(job.payload.first ?? 0)].pass() }
        // `stubborn`: ignores cancellation until the gate opens.
        pool.register(kind: "stubborn") { _ in await gate.passIgnoringCancellation() }
        pool.register(kind: "quick") { _ in }
        pool.register(kind: "broken") { _ in throw BrokenJob() }
    }

    struct BrokenJob: Error {}

    func start() async throws {
        let pool = self.pool
        runTask.withLock { $0 = Task { try await pool.run() } }
        try await eventually { self.pool.snapshot().recentEvents.contains { $0.kind == .started } }
    }

    /// Waits for `run()` to return.
    func finished() async throws {
        let task = runTask.withLock { $0 }
        try await task?.value
    }

    func snapshot() -> PoolSnapshot { pool.snapshot() }

    /// Teaches the pool what a `wait` job costs: ten of them, held at gate 1 while the manual clock moves
    /// 4 s, then let go; enough runs to outweigh the prior.
    func learnFourSecondWaitJobs() async throws {
        for _ in 0..<10 { try await pool.submit(kind: "wait", payload: Data([1])) }
        try await eventually("learning jobs started") { self.gates[1].arrivals == 10 }
        clock.advance(by: .seconds(4))
        gates[1].open()
        try await eventually("learning jobs done") { self.snapshot().completed == 10 }
    }

    deinit {
        signals.finish()
        for gate in gates { gate.open() }
        if ownsDirectory { try? FileManager.default.removeItem(at: directory) }
    }
}

/// The shared polling helper (DrainTestSupport's `eventually`), declared here so that every file of this
/// target calls it without an import of its own.
func eventually(
    timeout: Duration = defaultWaitTimeout, _ what: String = "condition",
    sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    try await DrainTestSupport.eventually(timeout: timeout, what, sourceLocation: sourceLocation, condition)
}

/// A latch jobs wait on, opened by the test.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    private let entered = Atomic<Int>(0)

    /// How many jobs have reached the gate.
    var arrivals: Int { entered.load(ordering: .relaxed) }

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits for the gate; throws `CancellationError` when the job is cancelled first.
    func pass() async throws {
        entered.add(1, ordering: .relaxed)
        while !state.withLock({ $0.open }) {
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    func passIgnoringCancellation() async {
        entered.add(1, ordering: .relaxed)
        await withCheckedContinuation { continuation in
            let open = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if open { continuation.resume() }
        }
    }
}
