import Drain
import DrainClient
import DrainLocalPostgres
import DrainPostgres
import DrainProtocol
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// One fleet iteration: drain-demos on one PostgreSQL schema under load, one chaos action, the rest
/// stopped, a last worker that empties the queue, and the merged records checked.
struct FleetRunner: Sendable {
    struct Result: Sendable {
        var action: FleetAction
        var verdict: FleetVerifier.Verdict
        var directory: String
        var problem: String?

        var passed: Bool { verdict.passed && problem == nil }
    }

    let demo: String
    let server: LocalPostgres
    let workDirectory: String
    let runDirectory: String
    let workers: Int
    let lease: Double
    /// How long the last worker may take to empty the queue, rescues included.
    let emptyLimit: Duration

    func run(iteration: Int, seed: UInt64) async throws -> Result {
        var random = SeededGenerator(seed: seed, iteration: iteration)
        let action = FleetAction.random(using: &random)
        let directory = "\(workDirectory)/fleet-\(iteration)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let schema = "fleet_\(iteration)"
        let url = server.url(schema: schema) + "&lease=\(lease)&heartbeat=\(min(0.25, lease / 4))"
        var records: [String] = []
        var spawned = 0
        func start(rate: Double) throws -> DemoProcess {
            spawned += 1
            let record = "\(directory)/record-\(spawned).log"
            records.append(record)
            return try spawn(
                url: url, record: record, output: "\(directory)/demo-\(spawned).log",
                arguments: ["--rate", "\(rate)", "--concurrency", "4", "--grace", "2", "--cancel-window", "0.5"])
        }
        var fleet = try (0..<workers).map { index in try start(rate: index == workers - 1 ? 0 : 15) }
        for member in fleet { try await member.waitForSocket(timeout: .seconds(20)) }
        try await Task.sleep(for: .milliseconds(Int64.random(in: 300...1500, using: &random)))

        let victim = fleet.indices.randomElement(using: &random) ?? 0
        var problem: String?
        switch action {
        case .sigterm:
            fleet[victim].signal(SIGTERM)
        case .doubleSigterm(let gap):
            fleet[victim].signal(SIGTERM)
            try await Task.sleep(for: .milliseconds(Int64(gap * 1000)))
            fleet[victim].signal(SIGTERM)
        case .sigkill:
            fleet[victim].signal(SIGKILL)
        case .socketShutdown(let grace):
            let path = fleet[victim].socketPath
            do {
                _ = try await withControlDeadline(.seconds(10), what: path) {
                    try await ControlClient.withConnection(path: path) { client in
                        try await client.shutdown(grace: grace, reason: "fleet chaos")
                    }
                }
            } catch {
                problem = "shutdown over the socket failed: \(error)"
            }
        case .databaseRestart(let down):
            try await server.stopServer()
            try await Task.sleep(for: .milliseconds(Int64(down * 1000)))
            try await server.startServer()
        }
        if action.stopsAWorker {
            let (status, timedOut) = await fleet[victim].wait(timeout: .seconds(30))
            if timedOut { problem = problem ?? "the victim did not exit within 30 s (\(status))" }
            // The fleet goes on without it: a new worker takes its place, as Kubernetes would start one.
            fleet[victim] = try start(rate: 0)
            try await fleet[victim].waitForSocket(timeout: .seconds(20))
        }
        try await Task.sleep(for: .milliseconds(Int64.random(in: 200...800, using: &random)))
        for member in fleet { member.signal(SIGTERM) }
        for member in fleet {
            let (status, timedOut) = await member.wait(timeout: .seconds(30))
            if timedOut { problem = problem ?? "a worker did not drain within 30 s (\(status))" }
        }
        // The last worker: nothing new, until the fleet's queue is empty and nothing runs anywhere (the
        // killed workers' jobs come back after their lease).
        let last = try start(rate: 0)
        try await last.waitForSocket(timeout: .seconds(20))
        if let stuck = try await waitUntilEmpty(url: url) { problem = problem ?? stuck }
        last.signal(SIGTERM)
        _ = await last.wait(timeout: .seconds(30))

        let lines = records.map { path in
            ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        let verdict = FleetVerifier.verify(lines)
        if verdict.passed, problem == nil { _ = try? await server.psql("DROP SCHEMA \(schema) CASCADE") }
        return Result(action: action, verdict: verdict, directory: directory, problem: problem)
    }

    /// Polls the shared journal's counts; returns a problem when the queue does not empty in time.
    private func waitUntilEmpty(url: String) async throws -> String? {
        let logger = Logger(label: "drain-chaos", factory: { _ in SwiftLogNoOpLogHandler() })
        let journal = try PostgresJournal(configuration: PostgresJournalConfiguration(url: url), logger: logger)
        let service = Task { try await journal.run() }
        defer { service.cancel() }
        let deadline = ContinuousClock.now + emptyLimit
        var last = JournalCounts()
        while ContinuousClock.now < deadline {
            if let counts = try? await journal.counts() {
                last = counts
                if counts.queued == 0, counts.running == 0 { return nil }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return "the queue did not empty within \(emptyLimit): \(last.queued) queued, \(last.running) running"
    }

    private func spawn(url: String, record: String, output: String, arguments: [String]) throws -> DemoProcess {
        var environment = ProcessInfo.processInfo.environment
        environment["DRAINCTL_RUN_DIR"] = runDirectory
        environment["SWIFT_BACKTRACE"] = "enable=no"
        environment["DRAIN_POSTGRES_URL"] = url
        let common = [
            "--name", DemoProcess.serviceName, "--run-dir", runDirectory, "--record", record, "--log-level", "error",
            "--duration-scale", "0.02",
        ]
        return try DemoProcess(
            executable: demo, arguments: common + arguments, environment: environment, output: output,
            socketDirectory: runDirectory)
    }
}
