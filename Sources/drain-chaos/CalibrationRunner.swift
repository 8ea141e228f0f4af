import Drain
import DrainClient
import DrainProtocol
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs calibration drains of `drain-demo`: warm it up, drain it, read the prediction one second in,
/// and match it with the shutdown report.
struct CalibrationRunner: Sendable {
    /// What every drain shares.
    struct Settings: Sendable {
        var demo: String
        var runDirectory: String
        var workDirectory: String
        var warmUp: Double
        var graces: ClosedRange<Double>
        var durationScale: Double
        /// When the prediction is read, after the drain started.
        var sampleAfter: Double
        /// Every n-th drain uses the planner's grace instead of a random one (0: never).
        var plannerEvery: Int
        /// The longest planner grace used (like `shutdown --grace auto`'s cap).
        var plannerCap: Double
        /// Each drain starts with the finished jobs of the ones before (a service restarted again and
        /// again), or from nothing.
        var keepHistory: Bool
        /// The demo declares each kind's median (`--declare-durations`), as an application may.
        var declareDurations: Bool
    }

    let settings: Settings

    /// One drain.
    /// - Throws: ``ChaosError`` when the demo does not start, answer, or stop in time.
    func run(index: Int, seed: UInt64) async throws -> DrainObservation {
        var random = SeededGenerator(seed: seed, iteration: index)
        let directory = "\(settings.workDirectory)/\(index)"
        guard mkdir(directory, 0o700) == 0 || errno == EEXIST else {
            throw ChaosError(.invalidInput, "cannot create \(directory): \(String(cString: strerror(errno)))")
        }
        let journal = "\(directory)/journal.sqlite"
        let history = HistoryJournal(path: "\(settings.workDirectory)/history.sqlite")
        if settings.keepHistory { try history.seed(journal) }
        let report = "\(directory)/report.json"
        unlink(report)
        let workloadSeed = random.next()
        var environment = ProcessInfo.processInfo.environment
        environment["DRAINCTL_RUN_DIR"] = settings.runDirectory
        environment["SWIFT_BACKTRACE"] = "enable=no"
        let demo = try DemoProcess(
            executable: settings.demo,
            arguments: [
                "--name", DemoProcess.serviceName, "--run-dir", settings.runDirectory, "--journal", journal,
                "--report", report, "--duration-scale", String(settings.durationScale), "--seed",
                String(workloadSeed), "--cancel-window", "1", "--log-level", "error",
            ] + (settings.declareDurations ? ["--declare-durations"] : []),
            environment: environment, output: "\(directory)/demo.log", socketDirectory: settings.runDirectory)
        defer {
            demo.signal(SIGKILL)
            _ = demo.poll()
            unlink(demo.socketPath)
        }
        try await demo.waitForSocket(timeout: .seconds(20))
        try await Task.sleep(for: .seconds(settings.warmUp))
        let planned = settings.plannerEvery > 0 && index % settings.plannerEvery == settings.plannerEvery - 1
        let randomGrace =
            settings.graces.lowerBound
            + (settings.graces.upperBound - settings.graces.lowerBound) * Double(random.next() >> 11) / Double(1 << 53)
        let (before, start, sample) = try await withControlDeadline(.seconds(30), what: demo.socketPath) {
            try await Self.connect(demo) { client -> (PoolSnapshot, PoolSnapshot, PoolSnapshot?) in
                let before = try await client.status()
                // A planner drain plans in the demo as it begins (`"grace":"auto"`), on the jobs it drains.
                let start =
                    planned
                    ? try await client.shutdown(plannedGraceUpTo: settings.plannerCap, reason: "calibrate")
                    : try await client.shutdown(grace: (randomGrace * 1000).rounded() / 1000, reason: "calibrate")
                try await Task.sleep(for: .seconds(settings.sampleAfter))
                do {
                    return (before, start, try await client.status())
                } catch let error as ControlError
                    where error.code == .connectionLost || error.serverCode == WireErrorCode.serverStopping.rawValue
                {
                    // The drain ended before the prediction was due: nothing was in flight to predict. A
                    // stopping server says so (`server_stopping`) before it closes, or just closes.
                    return (before, start, nil)
                }
            }
        }
        let limit = Duration.seconds((start.graceSeconds ?? 30) + 15)
        let (status, timedOut) = await demo.wait(timeout: limit)
        guard !timedOut else {
            throw ChaosError(.timedOut, "drain-demo (pid \(demo.pid)) did not stop within \(limit)")
        }
        guard let data = FileManager.default.contents(atPath: report),
            let outcome = try? JSONDecoder.drain.decode(ShutdownReport.self, from: data)
        else {
            throw ChaosError(
                .demoFailed, "drain-demo (pid \(demo.pid)) ended (\(status)) without a report at \(report)")
        }
        if settings.keepHistory { try history.absorb(journal) }
        // The planner's answer is the grace the drain began with. At the cap it may have wanted more: such
        // a drain is counted apart (`capped`), since it ran on the operator's limit, not on the plan.
        let plan =
            planned
            ? start.graceSeconds.map { grace in
                DrainPlan(
                    graceSeconds: grace, etaP50Seconds: nil, etaP90Seconds: nil, expectedMisses: 0,
                    suggestedGraceSeconds: grace)
            } : before.plan
        var observation = Self.observation(
            index: index, seed: workloadSeed, scale: settings.durationScale, planned: planned, plan: plan,
            sample: sample ?? start, report: outcome, endedBeforeSample: sample == nil)
        observation.runSeed = seed
        observation.plannerCapped = planned ? (start.graceSeconds ?? 0) >= settings.plannerCap - 0.001 : nil
        // What the planner saw: the oracle planner plans on the same jobs, the ones the drain began with
        // (every one is listed while the demo runs at most snapshotJobLimit at once).
        let seen = planned ? start : before
        if seen.oldestJobs.count == seen.inFlightJobs {
            observation.planJobs = seen.oldestJobs.map { .init(kind: $0.kind, ageSeconds: $0.ageSeconds) }
        }
        return observation
    }

    /// Pairs the prediction with the outcome: a job in flight at the prediction missed if the drain cut it.
    static func observation(
        index: Int, seed: UInt64, scale: Double, planned: Bool, plan: DrainPlan?, sample: PoolSnapshot,
        report: ShutdownReport,
        endedBeforeSample: Bool
    ) -> DrainObservation {
        let cut = Set(report.jobs.map(\.id))
        let sampledAfter = sample.drainStartedAt.map { sample.time.timeIntervalSince($0) } ?? 0
        var p50: [String: Double] = [:]
        var p95: [String: Double] = [:]
        for kind in sample.kinds {
            p50[kind.kind] = kind.p50Seconds
            p95[kind.kind] = kind.p95Seconds
        }
        return DrainObservation(
            index: index, seed: seed, durationScale: scale, graceSeconds: sample.graceSeconds ?? 0, planned: planned,
            plan: plan,
            endedBeforeSample: endedBeforeSample,
            sampledAfterSeconds: sampledAfter, secondsLeft: sample.secondsLeft ?? 0,
            expectedMisses: sample.expectedMisses, etaP50Seconds: sample.etaP50Seconds,
            etaP90Seconds: sample.etaP90Seconds, kindP50: p50, kindP95: p95,
            jobs: endedBeforeSample
                ? []
                : sample.oldestJobs.map {
                    .init(
                        id: $0.id, kind: $0.kind, ageSeconds: $0.ageSeconds, pMiss: $0.pMiss,
                        source: $0.predictionSource,
                        missed: cut.contains($0.id))
                },
            outcome: report.outcome, drainSeconds: report.drainSeconds)
    }

    /// Connects, retrying for a moment while the socket file exists but does not listen yet.
    private static func connect<T>(_ demo: DemoProcess, _ body: (ControlClient) async throws -> T) async throws -> T {
        let deadline = ContinuousClock.now + .seconds(2)
        while true {
            do {
                return try await ControlClient.withConnection(path: demo.socketPath, body)
            } catch let error as ControlError where error.code == .notFound && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }
}
