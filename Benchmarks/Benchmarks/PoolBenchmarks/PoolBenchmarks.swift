import Benchmark
import BenchmarkSupport
import Drain
import DrainSQLite
import Foundation

/// Issue 5, scenario 5: durable throughput, per-job bookkeeping against a bare task group, and the
/// cost of a snapshot as the number of jobs in flight grows.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration.maxDuration = .seconds(10)
    Benchmark.defaultConfiguration.maxIterations = 20

    let jobsPerSecond = BenchmarkMetric.custom("jobs/s", polarity: .prefersLarger, useScalingFactor: false)
    let jobs = 10_000

    // Submit → journal → claim → run → settle, every step through SQLite with synchronous=FULL.
    for (submitters, concurrency) in [(1, 64), (64, 64), (256, 256)] {
        Benchmark(
            "pool: durable jobs, SQLite, \(submitters) submitters, \(concurrency) at once",
            configuration: .init(metrics: [.wallClock, jobsPerSecond], maxIterations: 7)
        ) { benchmark in
            let running = try RunningPool(durable: true, concurrency: concurrency, maxQueued: jobs)
            benchmark.startMeasurement()
            let start = ContinuousClock.now
            try await running.runJobs(submitters == 1 ? 2_000 : jobs, submitters: submitters)
            let elapsed = ContinuousClock.now - start
            benchmark.stopMeasurement()
            benchmark.measurement(jobsPerSecond, Int(Double(submitters == 1 ? 2_000 : jobs) / elapsed.seconds))
            await running.stop()
        }
    }

    // The floor for durable throughput: one commit that waits for its fsync. The disk of a shared machine
    // varies by 3x within minutes, so jobs/s is read against this figure from the same run.
    Benchmark(
        "floor: one durable SQLite commit (append of 1 job)",
        configuration: .init(metrics: [.wallClock], maxDuration: .seconds(3), maxIterations: 500)
    ) { benchmark in
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "drain-floor-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let journal = try SQLiteJournal(path: directory.appendingPathComponent("journal.sqlite").path)
        let job = NewJob(kind: "noop", payload: Data())
        _ = try await journal.append([job])
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try await journal.append([job])) }
        benchmark.stopMeasurement()
    }

    // The floor for per-job overhead: the same no-op jobs in a bare task group, 64 at once.
    Benchmark(
        "floor: bare task group, \(jobs) no-op jobs, 64 at once",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal], maxIterations: 20)
    ) { benchmark in
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<jobs {
                if index >= 64 { await group.next() }
                group.addTask { blackHole(index) }
            }
        }
    }

    Benchmark(
        "pool: \(jobs) no-op jobs, memory journal, 64 at once",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal, jobsPerSecond], maxIterations: 20)
    ) { benchmark in
        let running = try RunningPool(durable: false, concurrency: 64, maxQueued: jobs)
        benchmark.startMeasurement()
        let start = ContinuousClock.now
        try await running.runJobs(jobs, submitters: 64)
        let elapsed = ContinuousClock.now - start
        benchmark.stopMeasurement()
        benchmark.measurement(jobsPerSecond, Int(Double(jobs) / elapsed.seconds))
        await running.stop()
    }

    // A snapshot must cost the same with 1k or 100k jobs in flight (the dashboard takes 10 a second).
    for inFlight in [1_000, 10_000, 100_000] {
        nonisolated(unsafe) var running: RunningPool?
        Benchmark(
            "snapshot: \(inFlight) jobs in flight",
            configuration: .init(
                metrics: [.wallClock, .mallocCountTotal], scalingFactor: .kilo, maxDuration: .seconds(3),
                maxIterations: 50,
                setup: {
                    let pool = try RunningPool(durable: false, concurrency: inFlight, maxQueued: inFlight, hold: true)
                    try await pool.fill(inFlight)
                    running = pool
                },
                teardown: {
                    await running?.stop()
                    running = nil
                }
            )
        ) { benchmark in
            guard let pool = running?.pool else { return }
            for _ in benchmark.scaledIterations { blackHole(pool.snapshot()) }
        }
    }
}
