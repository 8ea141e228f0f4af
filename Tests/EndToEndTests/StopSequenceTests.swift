import DrainClient
import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `deploy/simulate` plays the kubelet's and systemd's stop sequences against the real drain-demo, after
/// checking the budget with the formula of docs/KUBERNETES.md and docs/SYSTEMD.md.
@Suite("Kubernetes and systemd stop sequences", .timeLimit(.minutes(5)))
struct StopSequenceTests {
    static let script = Binaries.packageRoot.appendingPathComponent("deploy/simulate").path

    /// One simulated stop: the script, the drain-demo it runs, and the files that trigger and observe it.
    struct Run {
        let sandbox: Sandbox
        let simulate: Spawned
        let trigger: String
        let port: Int

        /// The requests, sent once the demo serves; each is a tracked operation of `ms` milliseconds.
        func requests(_ count: Int, ms: Int) -> [Task<Result<HTTPProbe.Response, HTTPProbe.Failure>, Never>] {
            let port = self.port
            return (0..<count).map { _ in
                Task { await HTTPProbe.onThread { HTTPProbe.get(port: port, path: "/sleep?ms=\(ms)") } }
            }
        }

        /// Waits until the demo has taken `count` requests: in flight, or already answered. Asked of its
        /// control socket (the one in the run directory) in this process: spawning a drainctl per poll is too
        /// slow on a loaded machine.
        ///
        /// Taken, not "in flight at once": the requests start on threads of their own, and on a loaded machine
        /// the first of three 3 s requests could end before the last began, or between two polls, so a wait
        /// for all of them in flight together timed out (twice in one run of twenty). Once taken, a request
        /// is answered by the drain or before it, and either way the expectations below hold. The long
        /// requests of the cut-short tests (20 s) are in flight whenever they have been taken.
        func waitTaken(_ count: Int) async throws {
            try await eventually("\(count) requests taken") {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: sandbox.runDir)) ?? []
                guard let socket = names.first(where: { $0.hasSuffix(".sock") }) else { return false }
                let status = try? await ControlClient.withConnection(path: "\(sandbox.runDir)/\(socket)") {
                    try await $0.status()
                }
                guard let status else { return false }
                return status.inFlightOperations + (status.completedOperations ?? 0) >= count
            }
        }

        /// Deletes the pod, or runs `systemctl stop`.
        func stop() { _ = FileManager.default.createFile(atPath: trigger, contents: nil) }

        /// Waits for the script and returns its exit code, its budget line and its JSON summary.
        func finish() async throws -> (code: Int32, budget: String, summary: [String: Any]) {
            let code = try await simulate.wait(timeout: .seconds(90))
            let lines = simulate.stdout.split(separator: "\n").map(String.init)
            let budget = lines.first { $0.hasPrefix("budget:") } ?? ""
            let json = lines.last { $0.hasPrefix("{") } ?? "{}"
            let summary = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] ?? [:]
            return (code, budget, summary)
        }
    }

    /// Starts `deploy/simulate MODE OPTIONS -- drain-demo --http … DEMO` and waits for the HTTP port.
    func start(_ mode: String, _ options: [String], demo: [String]) async throws -> Run {
        let sandbox = try Sandbox()
        let portFile = sandbox.root.appendingPathComponent("http.port").path
        let trigger = sandbox.root.appendingPathComponent("stop").path
        // The kubelet probes readiness on the demo's /healthz; systemd has no such probe.
        let own =
            mode == "kubelet"
            ? ["--delete-on-file", trigger, "--readiness-port-file", portFile] : ["--stop-on-file", trigger]
        let workload =
            [
                Binaries.demo.path, "--journal", sandbox.journal, "--report", sandbox.report, "--http", "127.0.0.1:0",
                "--http-port-file", portFile,
            ] + demo
        let simulate = try Spawned(
            URL(fileURLWithPath: "/usr/bin/env"),
            ["python3", Self.script, mode] + own + options + ["--"] + workload,
            environment: sandbox.environment, in: sandbox
        )
        var port = 0
        try await eventually("drain-demo's HTTP port") {
            let text = (try? String(contentsOfFile: portFile, encoding: .utf8)) ?? ""
            port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            if simulate.isRunning == false {
                Issue.record("simulate exited early: \(simulate.stdout)\(simulate.stderr)")
                throw CancellationError()
            }
            return port > 0
        }
        return Run(sandbox: sandbox, simulate: simulate, trigger: trigger, port: port)
    }

    func events(_ summary: [String: Any]) -> [String] {
        (summary["events"] as? [[String: Any]] ?? []).compactMap { $0["event"] as? String }
    }

    // MARK: - Kubernetes

    @Test("kubelet, preStop drainctl shutdown, the docs' budget: requests answered, a clean drain before SIGKILL")
    func kubeletPreStopDrainctl() async throws {
        let run = try await start(
            "kubelet",
            [
                "--termination-grace-period-seconds", "11", "--margin", "1", "--pre-stop",
                "\(Binaries.drainctl.path) shutdown --grace 8",
            ],
            demo: ["--lame-duck", "1", "--grace", "30", "--cancel-window", "1"])
        let requests = run.requests(4, ms: 3000)
        try await run.waitTaken(4)
        run.stop()
        for request in requests { #expect(try await request.value.get().status == 200) }
        let (code, budget, summary) = try await run.finish()
        // The grace is the preStop's (8), not the SIGTERM default (30).
        #expect(budget.contains("lame duck 1 + grace 8 + cancellation window 1 + margin 1 = 11 s"), "\(budget)")
        #expect(budget.hasSuffix("terminationGracePeriodSeconds 11: enough"), "\(budget)")
        #expect(code == 0, "\(run.simulate.stdout)\(run.simulate.stderr)")
        #expect(summary["killed"] as? Bool == false)
        let log = events(summary)
        #expect(log.contains("readiness 503"), "the lame duck fails readiness before the drain: \(log)")
        #expect(log.contains("preStop exited 0"), "\(log)")
        // drainctl returns on the `stopped` event, so the kubelet's SIGTERM may still find the process exiting:
        // a stopped pool ignores it, and the exit stays 0.
        #expect(summary["workload_exit"] as? Int == 0)
        let report = try run.sandbox.reportJSON()
        #expect(report["outcome"] as? String == "clean")
        #expect(report["completed"] as? Int == 4)
    }

    @Test("kubelet, preStop sleep then SIGTERM: requests keep being served during the sleep, then a clean drain")
    func kubeletPreStopSleep() async throws {
        let run = try await start(
            "kubelet", ["--termination-grace-period-seconds", "14", "--margin", "1", "--pre-stop", "sleep 4"],
            demo: ["--grace", "8", "--cancel-window", "1"])
        let early = run.requests(2, ms: 3000)
        try await run.waitTaken(2)
        run.stop()
        // Sent once the preStop has started, not after a fixed time: the sleep's 4 s are the window in which
        // the endpoints race, however slowly the script got there.
        try await eventually("the preStop to start") { run.simulate.stdout.contains("preStop started") }
        // The endpoints race: a request still routed here during the sleep is served, not refused.
        let duringSleep = try await HTTPProbe.onThread { [port = run.port] in
            HTTPProbe.get(port: port, path: "/sleep?ms=200")
        }.get()
        #expect(duringSleep.status == 200)
        for request in early { #expect(try await request.value.get().status == 200) }
        let (code, budget, summary) = try await run.finish()
        #expect(budget.contains("preStop sleep 4 + grace 8 + cancellation window 1 + margin 1 = 14 s"), "\(budget)")
        #expect(code == 0, "\(run.simulate.stdout)\(run.simulate.stderr)")
        let log = events(summary)
        #expect(log.contains("SIGTERM"), "\(log)")
        #expect(summary["killed"] as? Bool == false)
        #expect(try run.sandbox.reportJSON()["outcome"] as? String == "clean")
    }

    @Test(
        "kubelet, preStop drainctl with a budget shorter than the docs' sum: flagged, and its SIGTERM forces the drain")
    func kubeletPreStopBudgetTooShort() async throws {
        let run = try await start(
            "kubelet",
            [
                "--termination-grace-period-seconds", "3", "--margin", "1", "--pre-stop",
                "\(Binaries.drainctl.path) shutdown --grace 30",
            ],
            demo: ["--lame-duck", "1", "--cancel-window", "1"])
        // 20 s fits the 30 s grace: with the budget the docs ask for (33 s) these would be answered 200. They
        // are long so that, however slow this machine is to report them in flight, most of them is left.
        let requests = run.requests(2, ms: 20000)
        try await run.waitTaken(2)
        run.stop()
        let (code, budget, summary) = try await run.finish()
        #expect(budget.contains("= 33 s; terminationGracePeriodSeconds 3: TOO SHORT by 30 s"), "\(budget)")
        #expect(code == 2, "too short, not killed: \(run.simulate.stdout)\(run.simulate.stderr)")
        let log = events(summary)
        #expect(log.contains { $0.hasPrefix("preStop still running at 3 s: SIGTERM anyway") }, "\(log)")
        // The kubelet's SIGTERM is the second drain request: it forces, within the 1 s cancellation window.
        #expect(summary["workload_exit"] as? Int == 3, "a forced drain: \(log)")
        #expect(summary["killed"] as? Bool == false)
        for request in requests {
            let response = try await request.value.get()
            #expect(response.status == 503)
            #expect(response.body == "cancelled: the drain was forced\n")
        }
        #expect(try run.sandbox.reportJSON()["outcome"] as? String == "forced")
    }

    @Test("kubelet, preStop sleep with a budget shorter than the docs' sum: flagged, and SIGKILL cuts the drain")
    func kubeletSleepBudgetTooShort() async throws {
        let run = try await start(
            "kubelet", ["--termination-grace-period-seconds", "3", "--margin", "1", "--pre-stop", "sleep 1"],
            demo: ["--grace", "30", "--cancel-window", "1"])
        let requests = run.requests(2, ms: 20000)
        try await run.waitTaken(2)
        run.stop()
        let (code, budget, summary) = try await run.finish()
        #expect(budget.contains("= 33 s; terminationGracePeriodSeconds 3: TOO SHORT by 30 s"), "\(budget)")
        #expect(code == 3, "killed: \(run.simulate.stdout)\(run.simulate.stderr)")
        #expect(summary["killed"] as? Bool == true)
        #expect(summary["workload_exit"] as? Int == -9)
        for request in requests {
            if case .success(let response) = await request.value {
                Issue.record("a request cut by SIGKILL got an answer: \(response.status)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: run.sandbox.report), "a killed process writes no report")
    }

    // MARK: - systemd

    @Test("systemd, ExecStop drainctl shutdown with $MAINPID, the docs' budget: a clean drain, no SIGKILL")
    func systemdExecStop() async throws {
        let run = try await start(
            "systemd",
            [
                "--timeout-stop-sec", "11", "--margin", "1", "--kill-mode", "mixed", "--exec-stop",
                "\(Binaries.drainctl.path) shutdown --grace 8 --socket \"$DRAINCTL_RUN_DIR/demo.$MAINPID.sock\"",
            ],
            demo: ["--lame-duck", "1", "--grace", "30", "--cancel-window", "1"])
        let requests = run.requests(3, ms: 3000)
        try await run.waitTaken(3)
        run.stop()
        for request in requests { #expect(try await request.value.get().status == 200) }
        let (code, budget, summary) = try await run.finish()
        #expect(budget.contains("lame duck 1 + grace 8 + cancellation window 1 + margin 1 = 11 s"), "\(budget)")
        #expect(budget.hasSuffix("TimeoutStopSec 11: enough"), "\(budget)")
        #expect(code == 0, "\(run.simulate.stdout)\(run.simulate.stderr)")
        let log = events(summary)
        #expect(log.contains("ExecStop exited 0"), "\(log)")
        #expect(summary["killed"] as? Bool == false)
        #expect(try run.sandbox.reportJSON()["outcome"] as? String == "clean")
    }

    @Test("systemd, KillSignal=SIGTERM without ExecStop: the pool drains with its --grace inside TimeoutStopSec")
    func systemdKillSignal() async throws {
        let run = try await start(
            "systemd", ["--timeout-stop-sec", "10", "--margin", "1", "--kill-mode", "mixed"],
            demo: ["--grace", "8", "--cancel-window", "1"])
        let requests = run.requests(3, ms: 3000)
        try await run.waitTaken(3)
        run.stop()
        for request in requests { #expect(try await request.value.get().status == 200) }
        let (code, budget, summary) = try await run.finish()
        #expect(budget.contains("grace 8 + cancellation window 1 + margin 1 = 10 s; TimeoutStopSec 10: enough"))
        #expect(code == 0, "\(run.simulate.stdout)\(run.simulate.stderr)")
        #expect(events(summary).contains { $0.hasPrefix("KillSignal=SIGTERM to the main process") })
        #expect(try run.sandbox.reportJSON()["outcome"] as? String == "clean")
    }

    @Test("systemd, TimeoutStopSec shorter than the docs' sum: flagged as too short, then SIGKILL")
    func systemdBudgetTooShort() async throws {
        let run = try await start(
            "systemd", ["--timeout-stop-sec", "2", "--margin", "1"],
            demo: ["--grace", "30", "--cancel-window", "1"])
        let requests = run.requests(2, ms: 20000)
        try await run.waitTaken(2)
        run.stop()
        let (code, budget, summary) = try await run.finish()
        #expect(budget.contains("= 32 s; TimeoutStopSec 2: TOO SHORT by 30 s"), "\(budget)")
        #expect(code == 3, "\(run.simulate.stdout)\(run.simulate.stderr)")
        #expect(summary["killed"] as? Bool == true)
        for request in requests {
            if case .success(let response) = await request.value {
                Issue.record("a request cut by SIGKILL got an answer: \(response.status)")
            }
        }
    }

    // MARK: - Bad input

    @Test(
        "bad input exits 64 with a clear message",
        arguments: [
            (["budget", "--have", "-1"], "--have must be 0 or more seconds"),
            (
                ["kubelet", "--termination-grace-period-seconds", "3", "--delete-on-file", "x"],
                "give the workload after --"
            ),
            (
                [
                    "kubelet", "--termination-grace-period-seconds", "3", "--delete-on-file", "x", "--", "drain-demo",
                    "--grace", "soon",
                ], "--grace wants a number of seconds, not soon"
            ),
            (["systemd", "--timeout-stop-sec", "ten", "--stop-on-file", "x", "--", "true"], "invalid float value"),
        ])
    func badInput(arguments: [String], message: String) async throws {
        let sandbox = try Sandbox()
        let simulate = try Spawned(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", Self.script] + arguments,
            environment: sandbox.environment, in: sandbox)
        #expect(try await simulate.wait() == 64)
        #expect(simulate.stderr.contains(message), "\(simulate.stderr)")
    }

    // MARK: - The docs' own numbers

    @Test("the Deployment and the unit file in the docs pass their own budget arithmetic")
    func documentedBudgets() async throws {
        let root = Binaries.packageRoot
        let kubernetes = try String(
            contentsOf: root.appendingPathComponent("docs/KUBERNETES.md"), encoding: .utf8)
        let unit = try String(
            contentsOf: root.appendingPathComponent("deploy/systemd/drain-demo.service"), encoding: .utf8)
        let deployment = try #require(kubernetes.components(separatedBy: "## Pattern A").last)
        func number(_ pattern: String, in text: String) throws -> String {
            let regex = try Regex(pattern)
            let match = try #require(text.firstMatch(of: regex), "no \(pattern)")
            return String(try #require(match.output[1].substring))
        }
        let k8s = [
            "--lame-duck", try number(#""--lame-duck", "(\d+)""#, in: deployment),
            "--grace", try number(#""shutdown", "--grace", "(\d+)""#, in: deployment),
            "--cancel-window", try number(#""--cancel-window", "(\d+)""#, in: deployment),
            "--margin", "3", "--have", try number(#"terminationGracePeriodSeconds: (\d+)"#, in: deployment),
        ]
        let systemd = [
            "--lame-duck", try number(#"--lame-duck (\d+)"#, in: unit),
            "--grace", try number(#"shutdown --grace (\d+)"#, in: unit),
            "--cancel-window", try number(#"--cancel-window (\d+)"#, in: unit),
            "--margin", "3", "--have", try number(#"TimeoutStopSec=(\d+)"#, in: unit),
        ]
        for arguments in [k8s, systemd] {
            let sandbox = try Sandbox()
            let budget = try Spawned(
                URL(fileURLWithPath: "/usr/bin/env"), ["python3", Self.script, "budget"] + arguments,
                environment: sandbox.environment, in: sandbox)
            #expect(try await budget.wait() == 0, "\(arguments): \(budget.stdout)\(budget.stderr)")
            #expect(budget.stdout.contains(": enough"), "\(budget.stdout)")
        }
    }
}
