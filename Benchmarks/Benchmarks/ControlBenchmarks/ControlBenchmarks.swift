import Benchmark
import BenchmarkSupport
import Drain
import DrainControl
import Foundation

/// Issue 5, scenario 6 (and issue 6's abuse figure): worker throughput with 0, 100 and 1,000 control
/// socket subscribers at 10 Hz, a quarter of them stalled (connected, subscribed, never reading). The
/// target is < 2 % loss against 0 subscribers, read as the ratio of the medians of one run.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration.maxDuration = .seconds(30)

    let jobsPerSecond = BenchmarkMetric.custom("jobs/s", polarity: .prefersLarger, useScalingFactor: false)
    let cpuPerSecond = BenchmarkMetric.custom("CPU µs/s", polarity: .prefersSmaller, useScalingFactor: false)

    // What the subscribers cost on their own, with the pool idle: the process's CPU time per second of
    // wall clock (server and the readers of this process). Less noisy on a shared machine than a
    // throughput ratio: a loss of x % of 2 cores is 20,000·x µs/s.
    for subscribers in [0, 100, 1_000] {
        nonisolated(unsafe) var load: SubscriberLoad?
        Benchmark(
            "subscribers: \(subscribers) at 10 Hz (1 in 4 stalled), idle pool, CPU per second",
            configuration: .init(
                metrics: [cpuPerSecond], maxIterations: 7,
                setup: { load = try await SubscriberLoad(durable: false, subscribers: subscribers, stalledEvery: 4) },
                teardown: {
                    await load?.close()
                    load = nil
                }
            )
        ) { benchmark in
            let before = processCPU()
            let start = ContinuousClock.now
            try await Task.sleep(for: .seconds(2))
            let elapsed = ContinuousClock.now - start
            benchmark.measurement(cpuPerSecond, Int((processCPU() - before) / elapsed.seconds))
        }
    }

    // SQLite (synchronous=FULL) is the product's figure; the memory journal is the worst case for
    // contention, since the workers then compete with the server for the CPU and nothing else.
    for (durable, jobs) in [(true, 20_000), (false, 100_000)] {
        for subscribers in [0, 100, 1_000] {
            nonisolated(unsafe) var load: SubscriberLoad?
            Benchmark(
                "subscribers: \(subscribers) at 10 Hz (1 in 4 stalled), \(durable ? "SQLite" : "memory") journal, 64 at once",
                configuration: .init(
                    metrics: [.wallClock, jobsPerSecond], warmupIterations: 2, maxIterations: 11,
                    setup: {
                        load = try await SubscriberLoad(durable: durable, subscribers: subscribers, stalledEvery: 4)
                    },
                    teardown: {
                        await load?.close()
                        load = nil
                    }
                )
            ) { benchmark in
                guard let running = load?.running else { return }
                benchmark.startMeasurement()
                let start = ContinuousClock.now
                try await running.runJobs(jobs, submitters: 64)
                let elapsed = ContinuousClock.now - start
                benchmark.stopMeasurement()
                benchmark.measurement(jobsPerSecond, Int(Double(jobs) / elapsed.seconds))
            }
        }
    }
}

/// User and system CPU time of this process so far, in microseconds.
private func processCPU() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let user = Double(usage.ru_utime.tv_sec) * 1e6 + Double(usage.ru_utime.tv_usec)
    return user + Double(usage.ru_stime.tv_sec) * 1e6 + Double(usage.ru_stime.tv_usec)
}
