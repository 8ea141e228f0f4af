import ArgumentParser
import Drain
import DrainControl
import Foundation
import Logging
import ServiceLifecycle

/// `drain-demo`: a service with realistic synthetic work, to watch a drain happen.
@main
struct DrainDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain-demo",
        abstract: "A demo service that runs synthetic jobs and drains on SIGTERM.",
        discussion: """
            Exit codes: 0 the drain was clean; 3 the drain was forced (jobs were requeued); 1 it could not \
            start (journal, socket); 64 bad arguments.
            """
    )

    @Option(help: "The service name shown by drainctl.") var name = "demo"
    @Option(help: "New jobs per second (0 submits none).") var rate = 4.0
    @Option(help: "Jobs running at once.") var concurrency = 8
    @Option(help: "Seconds of grace when a drain starts from SIGTERM.") var grace = 30.0
    @Option(help: "Seconds of lame duck before draining (not ready, still working).") var lameDuck = 0.0
    @Option(help: "Seconds cancelled jobs get to wind down before they are abandoned.") var cancelWindow = 2.0
    @Option(help: "The job journal (SQLite). Default: <run dir>/<name>.journal.sqlite.") var journal: String?
    @Option(help: "Write the shutdown report as JSON here.") var report: String?
    @Option(help: "Multiply every job's duration by this factor.") var durationScale = 1.0
    @Option(help: "Stop submitting after this many jobs.") var maxJobs: Int?
    @Option(help: "Where the control socket goes (default: $DRAINCTL_RUN_DIR, $XDG_RUNTIME_DIR/drainctl or /tmp/drainctl-<uid>).")
    var runDir: String?
    @Option(help: "Seed for the synthetic workload, for repeatable runs.") var seed: UInt64?
    @Option(help: "Append 'start <id> <attempt>' and 'done <id>' lines here, independent of the journal.")
    var record: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "notice"

    func validate() throws {
        guard rate >= 0, rate.isFinite else { throw ValidationError("--rate must be 0 or more") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard grace >= 0, grace.isFinite else { throw ValidationError("--grace must be 0 or more seconds") }
        guard lameDuck >= 0, lameDuck.isFinite else { throw ValidationError("--lame-duck must be 0 or more seconds") }
        guard cancelWindow >= 0, cancelWindow.isFinite else { throw ValidationError("--cancel-window must be 0 or more") }
        guard durationScale > 0, durationScale.isFinite else { throw ValidationError("--duration-scale must be above 0") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level '\(logLevel)'") }
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix(".") else {
            throw ValidationError("--name must be a plain name without '/'")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .notice
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "drain-demo")
        let runDirectory = runDir.map(RunDirectory.init(path:)) ?? .resolve()
        let outcome: ShutdownReport
        do {
            try runDirectory.prepare()
            outcome = try await serve(runDirectory: runDirectory, logger: logger)
        } catch let error as ControlError {
            FileHandle.standardError.write(Data("drain-demo: \(error.message)\n".utf8))
            throw ExitCode(1)
        } catch let error as DrainError {
            FileHandle.standardError.write(Data("drain-demo: \(error.message)\(error.cause.map { ": \($0)" } ?? "")\n".utf8))
            throw ExitCode(1)
        }
        if let report {
            do {
                try outcome.jsonData().write(to: URL(fileURLWithPath: report), options: .atomic)
            } catch {
                FileHandle.standardError.write(Data("drain-demo: cannot write the report to \(report): \(error)\n".utf8))
            }
        }
        let summary =
            "drain-demo: \(outcome.outcome.rawValue) drain in \(String(format: "%.2f", outcome.drainSeconds))s: "
            + "\(outcome.completed) completed, \(outcome.requeued) requeued, \(outcome.queued) still queued\n"
        FileHandle.standardError.write(Data(summary.utf8))
        if outcome.outcome == .forced { throw ExitCode(3) }
    }

    private func serve(runDirectory: RunDirectory, logger: Logger) async throws -> ShutdownReport {
        let journalPath = journal ?? "\(runDirectory.path)/\(name).journal.sqlite"
        let store = try SQLiteJournal(path: journalPath)
        var configuration = WorkerPoolConfiguration(name: name)
        configuration.maxConcurrentJobs = concurrency
        configuration.defaultGrace = .milliseconds(Int64(grace * 1000))
        configuration.lameDuck = .milliseconds(Int64(lameDuck * 1000))
        configuration.cancellationWindow = .milliseconds(Int64(cancelWindow * 1000))
        let pool = WorkerPool(
            configuration: configuration, journal: store, signals: await DrainSignal.unixSignals(), logger: logger
        )
        let work = SyntheticWork(scale: durationScale, seed: seed ?? UInt64.random(in: 0...UInt64.max))
        let recorder = try record.map { try JobRecorder(path: $0) }
        for kind in SyntheticWork.Kind.allCases {
            pool.register(kind: kind.rawValue) { job in try await work.perform(job, recorder: recorder) }
        }
        let server = try await ControlServer.bind(
            pool: pool, configuration: ControlServerConfiguration(runDirectory: runDirectory), logger: logger
        )
        let producer = Producer(pool: pool, work: work, rate: rate, limit: maxJobs, logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: server, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore),
                    .init(service: producer, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore),
                    .init(service: pool, successTerminationBehavior: .gracefullyShutdownGroup),
                ],
                // The pool owns SIGTERM, SIGINT and SIGQUIT: the group must not trap them too.
                gracefulShutdownSignals: [], cancellationSignals: [], logger: logger
            )
        )
        try await group.run()
        guard let report = pool.report else { throw DrainError(.notRunning, "the pool ended without a report") }
        return report
    }
}
