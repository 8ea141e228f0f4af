import Drain
import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `drain-demo --metrics`: the pool's metrics in the Prometheus text format, scraped over real HTTP.
@Suite("drain-demo /metrics", .timeLimit(.minutes(5)))
struct MetricsScrapeTests {
    func startMetricsDemo(_ arguments: [String], in sandbox: Sandbox, name: String = "demo") async throws
        -> (Spawned, Int)
    {
        let portFile = sandbox.root.appendingPathComponent("metrics.port").path
        let demo = try await startDemo(
            ["--metrics", "127.0.0.1:0", "--metrics-port-file", portFile] + arguments, in: sandbox, name: name)
        var port = 0
        try await eventually("the metrics port file") {
            let text = (try? String(contentsOfFile: portFile, encoding: .utf8)) ?? ""
            port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            return port > 0
        }
        #expect(demo.stdout.contains("metrics at http://127.0.0.1:\(port)/metrics"))
        return (demo, port)
    }

    func scrape(_ port: Int) async throws -> Exposition {
        let response = try await HTTPProbe.onThread { HTTPProbe.get(port: port, path: "/metrics") }.get()
        #expect(response.status == 200)
        #expect(response.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        return try Exposition(response.body)
    }

    /// `promtool check metrics` on a scrape, as Prometheus's users would run it.
    func promtool(_ scrape: String, in sandbox: Sandbox) async throws -> (code: Int32, out: String) {
        let path = sandbox.root.appendingPathComponent("scrape.prom").path
        try scrape.write(toFile: path, atomically: true, encoding: .utf8)
        let found = try await shell("command -v promtool")
        guard found.code == 0 else {
            Issue.record("promtool is missing: apt-get install prometheus (.ci/run does)")
            throw CancellationError()
        }
        return try await shell("promtool check metrics < \"$1\"", [path])
    }

    // MARK: - Mid-drain

    @Test("a scrape mid-drain shows the phase, the seconds left counting down, the work in flight and the counters")
    func scrapeMidDrain() async throws {
        let sandbox = try Sandbox()
        let (demo, port) = try await startMetricsDemo(
            [
                "--name", "shop", "--rate", "20", "--concurrency", "4", "--duration-scale", "4", "--grace", "20",
                "--cancel-window", "0.5", "--seed", "7",
            ],
            in: sandbox, name: "shop")
        let pool = ["pool": "shop"]
        try await eventually("jobs in flight and one completed") {
            let metrics = try await scrape(port)
            return (metrics.value("drain_in_flight", pool) ?? 0) >= 1
                && (metrics.value("drain_jobs_completed_total", pool) ?? 0) >= 1
        }
        let running = try await scrape(port)
        #expect(running.value("drain_phase", ["pool": "shop", "phase": "running"]) == 1)
        #expect(running.value("drain_seconds_left", pool) == 0)

        demo.signal(SIGTERM)
        // The phase's series are set one after another, the others to 0 first and the current one last: a
        // scrape where draining is 1 has every other phase at 0, and that is checked below.
        let first = try await eventuallyValue("draining in the scrape") {
            let metrics = try await scrape(port)
            return metrics.value("drain_phase", ["pool": "shop", "phase": "draining"]) == 1 ? metrics : nil
        }

        // Every metric the pool emits is exposed, with its Prometheus type.
        let expected: [(String, String)] = [
            (DrainMetrics.inFlight, "gauge"), (DrainMetrics.queued, "gauge"), (DrainMetrics.phase, "gauge"),
            (DrainMetrics.secondsLeft, "gauge"), (DrainMetrics.jobsCompleted, "counter"),
            (DrainMetrics.jobsFailed, "counter"), (DrainMetrics.jobsRequeued, "counter"),
            (DrainMetrics.jobsRecovered, "counter"), (DrainMetrics.operationsCompleted, "counter"),
            (DrainMetrics.cancelled, "counter"), (DrainMetrics.rejected, "counter"),
            (DrainMetrics.jobDuration, "histogram"), (DrainMetrics.operationDuration, "histogram"),
            (DrainMetrics.drainDuration, "histogram"),
        ]
        for (name, type) in expected { #expect(first.types[name] == type, "\(name) should be a \(type)") }
        // Every series says what it counts, in the words kept beside the names.
        for name in first.types.keys {
            #expect(first.help[name] == DrainMetrics.help[name], "\(name)'s # HELP line: \(first.help[name] ?? "none")")
        }
        // Prometheus's own linter, on this very scrape taken mid-drain.
        let lint = try await promtool(first.text, in: sandbox)
        #expect(lint.code == 0, "promtool check metrics:\n\(lint.out)")
        for phase in DrainPhase.allCases {
            let value = first.value("drain_phase", ["pool": "shop", "phase": phase.rawValue])
            #expect(value == (phase == .draining ? 1 : 0), "drain_phase{phase=\"\(phase)\"} is \(value ?? -1)")
        }
        let left1 = try #require(first.value("drain_seconds_left", pool))
        // Loose bounds: on a loaded machine the scrapes may come seconds late; the gauge must still count down,
        // moved by the pool's refresh, whenever that runs.
        #expect(left1 > 10 && left1 <= 20, "seconds left soon after SIGTERM with a 20 s grace: \(left1)")
        try await eventually("seconds left counting down below \(left1)") {
            (try await scrape(port).value("drain_seconds_left", pool) ?? left1) < left1
        }
        #expect((first.value("drain_in_flight", pool) ?? 0) >= 1, "jobs were in flight when the drain began")
        // Buckets that suit drains, not the backend's 10 s ceiling.
        #expect(first.buckets("drain_job_duration_seconds").contains("300.0"))
        #expect(first.buckets("drain_duration_seconds").contains("30.0"))
        #expect(first.buckets("drain_duration_seconds").last == "+Inf")
        // One duration per completed job. Jobs finish while this runs, and a job's count and its duration are
        // two calls, so a scrape can fall between them: the two must meet in a scrape, not in every one.
        try await eventually("one duration per completed job") {
            let metrics = try await scrape(port)
            let jobs = metrics.value("drain_job_duration_seconds_count", pool)
            return jobs != nil && jobs == metrics.value("drain_jobs_completed_total", pool)
        }

        // A second SIGTERM forces; the requeued jobs are what the report lists.
        demo.signal(SIGTERM)
        let code = try await demo.wait()
        #expect(code == 0 || code == 3, "stderr: \(demo.stderr)")
    }

    // MARK: - Bad input

    @Test("a bad --metrics address, or a port file without --metrics, exits 64 with a clear message")
    func badArguments() async throws {
        let sandbox = try Sandbox()
        let bad = try Spawned(Binaries.demo, ["--metrics", "nowhere"], environment: sandbox.environment, in: sandbox)
        #expect(try await bad.wait() == 64)
        #expect(bad.stderr.contains("--metrics wants HOST:PORT"))
        let lonely = try Spawned(
            Binaries.demo, ["--metrics-port-file", "/tmp/x"], environment: sandbox.environment, in: sandbox)
        #expect(try await lonely.wait() == 64)
        #expect(lonely.stderr.contains("--metrics-port-file needs --metrics"))
    }

    @Test("other paths on the metrics port answer 404 and point at /metrics")
    func otherPaths() async throws {
        let sandbox = try Sandbox()
        let (demo, port) = try await startMetricsDemo(["--rate", "0"], in: sandbox)
        let response = try await HTTPProbe.onThread { HTTPProbe.get(port: port, path: "/") }.get()
        #expect(response.status == 404)
        #expect(response.body.contains("/metrics"))
        demo.signal(SIGTERM)
        #expect(try await demo.wait() == 0, "stderr: \(demo.stderr)")
    }
}
