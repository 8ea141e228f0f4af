import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The rescue of a SIGKILLed drain-demo's job by an idle peer, timed on real processes: `fleet-bench`'s
/// rescue measurement against issue 10's "≤ lease + 1 s".
///
/// Each trial gets a schema of its own, so that nothing of an earlier trial (a dead row, a queued job) can
/// help or hinder it. The victim submits one long job and runs it itself (`--rate` with `--max-jobs 1`, no
/// other worker yet, so nobody else can claim it); once its record says the job started, the idle peer
/// (`--rate 0`) starts and gets a moment to beat; then, at a random moment of the peer's sweep cycle, the victim is SIGKILLed and the clock runs until
/// the peer's own `--record` file says it started the job, as attempt 2. No other worker — and so no other
/// sweeper — is on the schema: the figure is one live peer's, the least a fleet can have.
struct KillRescueBench: Sendable {
    /// One lease's trials.
    struct Result: Sendable {
        var lease: Double
        var heartbeat: Double
        /// Kill → the peer's `start` line, seconds, in trial order.
        var samples: [Double]
    }

    let demo: String
    /// The bench's PostgreSQL URL, without a schema or timings.
    let postgres: String
    let workDirectory: String
    let trials: Int

    /// How long the peer gets, at least, between opening its control socket and the kill: the socket is
    /// bound before the demo's journal service starts, and a peer that has not beaten yet would be timed as
    /// slow.
    static let peerSettle: Duration = .seconds(1)

    /// The heartbeat used with `lease`: the default second, or a quarter of a short lease, as the in-process
    /// trials do (a lease must hold at least two heartbeats; four leave room for a slow beat).
    static func heartbeat(lease: Double) -> Double { min(1, lease / 4) }

    func measure(lease: Double) async throws -> Result {
        let heartbeat = Self.heartbeat(lease: lease)
        var samples: [Double] = []
        for trial in 0..<trials {
            samples.append(try await runTrial(trial, lease: lease, heartbeat: heartbeat))
        }
        return Result(lease: lease, heartbeat: heartbeat, samples: samples)
    }

    private func runTrial(_ trial: Int, lease: Double, heartbeat: Double) async throws -> Double {
        let tag = "\(Int(lease * 1000))ms_\(trial)"
        let separator = postgres.contains("?") ? "&" : "?"
        let url = postgres + "\(separator)schema=bench_kill_\(tag)_\(getpid())&lease=\(lease)&heartbeat=\(heartbeat)"
        let directory = "\(workDirectory)/kill-\(tag)"
        let runDirectory = "\(directory)/run"
        try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
        chmod(runDirectory, 0o700)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        // The job runs a thousand times its synthetic length on the victim (minutes), and a thousandth of it
        // on the peer, so that the victim is still running it when killed and the peer ends at once.
        let victim = try spawn(
            url: url, directory: directory, role: "victim",
            arguments: ["--rate", "20", "--max-jobs", "1", "--concurrency", "1", "--duration-scale", "1000"])
        var peer: DemoProcess?
        defer {
            victim.signal(SIGKILL)
            peer?.signal(SIGKILL)
        }
        try await victim.waitForSocket(timeout: .seconds(20))
        let started = try await line(in: "\(directory)/record-victim", timeout: .seconds(20)) {
            $0.hasPrefix("start ") && $0.hasSuffix(" 1")
        }
        let job = started.split(separator: " ")[1]

        let idle = try spawn(
            url: url, directory: directory, role: "peer", arguments: ["--rate", "0", "--duration-scale", "0.001"])
        peer = idle
        try await idle.waitForSocket(timeout: .seconds(20))
        // A crash comes at any moment of the peer's sweep cycle. A fixed wait (a whole number of heartbeats)
        // would kill at the same phase each time and measure one point of the range, so the wait has a
        // random part of up to one heartbeat.
        let phase = Double.random(in: 0..<heartbeat)
        try await Task.sleep(for: Self.peerSettle + .milliseconds(Int64(phase * 1000)))

        let clock = ContinuousClock()
        let killed = clock.now
        victim.signal(SIGKILL)
        let limit = Duration.milliseconds(Int64(lease * 3000)) + .seconds(10)
        let rescued = try await line(in: "\(directory)/record-peer", timeout: limit) { $0.hasPrefix("start ") }
        let seconds = (clock.now - killed).seconds
        // The peer's only job must be the victim's, run again: anything else is not a rescue.
        guard rescued == "start \(job) 2" else {
            throw ChaosError(.invalidInput, "the peer's first start is '\(rescued)', not the rescue of job \(job)")
        }
        let (status, _) = await victim.wait(timeout: .seconds(5))
        guard status == .signalled(SIGKILL) else {
            throw ChaosError(.demoFailed, "the victim ended \(status), not by SIGKILL")
        }
        idle.signal(SIGTERM)
        _ = await idle.wait(timeout: .seconds(10))
        return seconds
    }

    /// The first line of the record at `path` that `matches`, polled every millisecond: the record is the
    /// handler's own `write(2)`, so the poll adds at most a millisecond and a read to the figure.
    private func line(in path: String, timeout: Duration, matches: (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
                let found = text.split(separator: "\n").map(String.init).first(where: matches)
            {
                return found
            }
            try await Task.sleep(for: .milliseconds(1))
        }
        throw ChaosError(.timedOut, "no matching line in \(path) within \(timeout)")
    }

    private func spawn(url: String, directory: String, role: String, arguments: [String]) throws -> DemoProcess {
        var environment = ProcessInfo.processInfo.environment
        environment["DRAINCTL_RUN_DIR"] = "\(directory)/run"
        environment["SWIFT_BACKTRACE"] = "enable=no"
        // The URL (and its password) goes by the environment, out of `ps`.
        environment["DRAIN_POSTGRES_URL"] = url
        let common = [
            "--name", DemoProcess.serviceName, "--run-dir", "\(directory)/run",
            "--record", "\(directory)/record-\(role)", "--log-level", "error",
        ]
        return try DemoProcess(
            executable: demo, arguments: common + arguments, environment: environment,
            output: "\(directory)/\(role).log", socketDirectory: "\(directory)/run")
    }
}
