import ArgumentParser
import Drain
import DrainControl
import DrainHummingbird
import DrainSQLite
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// A Hummingbird app whose requests are tracked by a Drain pool: `GET /sleep?ms=N` and `GET /healthz`.
@main
struct Example: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain-hummingbird-example",
        abstract: "A Hummingbird app that drains on SIGTERM: in-flight requests finish, new ones are refused.",
        discussion: "Exit codes: 0 clean drain; 3 forced (requests cancelled); 1 could not start; 64 bad arguments."
    )

    @Option(help: "The service name shown by drainctl.") var name = "hummingbird"
    @Option(help: "Listen on this host.") var host = "127.0.0.1"
    @Option(help: "Listen on this port (0: any free port).") var port = 8080
    @Option(help: "Write the bound port here once listening.") var portFile: String?
    @Option(help: "Seconds of grace when a drain starts from SIGTERM.") var grace = 30.0
    @Option(help: "Seconds of lame duck before draining (not ready, still serving).") var lameDuck = 0.0
    @Option(help: "Seconds cancelled requests get before they are abandoned.") var cancelWindow = 2.0
    @Option(help: "Where the control socket goes (default: $DRAINCTL_RUN_DIR or the user's run directory).")
    var runDir: String?
    @Option(help: "Write the shutdown report as JSON here.") var report: String?
    @Option(help: "The pool's journal (SQLite; it holds no jobs here). Default: <run dir>/<name>.journal.sqlite.")
    var journal: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        for (flag, value) in [("--grace", grace), ("--lame-duck", lameDuck), ("--cancel-window", cancelWindow)] {
            guard value >= 0, value.isFinite else { throw ValidationError("\(flag) must be 0 or more seconds") }
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: name)
        logger.logLevel = .notice
        let runDirectory = runDir.map(RunDirectory.init(path:)) ?? .resolve()
        let outcome: ShutdownReport
        do {
            try runDirectory.prepare()
            outcome = try await serve(runDirectory: runDirectory, logger: logger)
        } catch let error as ControlError {
            FileHandle.standardError.write(Data("\(name): \(error.message)\n".utf8))
            throw ExitCode(1)
        } catch let error as DrainError {
            FileHandle.standardError.write(Data("\(name): \(error.message)\n".utf8))
            throw ExitCode(1)
        }
        if let report { try outcome.jsonData().write(to: URL(fileURLWithPath: report), options: .atomic) }
        FileHandle.standardError.write(
            Data("\(name): \(outcome.outcome.rawValue) drain, requests completed: \(outcome.completed)\n".utf8))
        if outcome.outcome == .forced { throw ExitCode(3) }
    }

    private func serve(runDirectory: RunDirectory, logger: Logger) async throws -> ShutdownReport {
        // The pool only tracks requests here: its journal holds no jobs, but it is what a pool runs on.
        let journal = try SQLiteJournal(path: self.journal ?? "\(runDirectory.path)/\(name).journal.sqlite")
        var configuration = WorkerPoolConfiguration(name: name)
        configuration.defaultGrace = .milliseconds(Int64(grace * 1000))
        configuration.lameDuck = .milliseconds(Int64(lameDuck * 1000))
        configuration.cancellationWindow = .milliseconds(Int64(cancelWindow * 1000))
        let pool = WorkerPool(
            configuration: configuration, journal: journal, signals: await DrainSignal.unixSignals(), logger: logger)
        let control = try await ControlServer.bind(
            pool: pool, configuration: ControlServerConfiguration(runDirectory: runDirectory), logger: logger)

        let router = Router()
        router.add(middleware: DrainMiddleware(pool: pool))
        router.addReadinessRoute(pool: pool)
        router.get("/sleep") { request, _ -> String in
            let ms = request.uri.queryParameters.get("ms", as: Int.self) ?? 0
            try await Task.sleep(for: .milliseconds(ms))
            return "slept \(ms) ms\n"
        }
        let portFile = self.portFile
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: name),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                if let portFile {
                    // Whole, then renamed: a script polling for the file never reads half a port.
                    try? Data("\(port)\n".utf8).write(to: URL(fileURLWithPath: portFile + ".partial"))
                    rename(portFile + ".partial", portFile)
                }
                FileHandle.standardOutput.write(Data("listening on port \(port)\n".utf8))
            },
            logger: logger
        )
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: control, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore),
                    .init(service: DrainingApplication(app, pool: pool, logger: logger)),
                    .init(service: pool, successTerminationBehavior: .gracefullyShutdownGroup),
                ],
                // The pool owns SIGTERM, SIGINT and SIGQUIT: the group must not trap them too.
                gracefulShutdownSignals: [], cancellationSignals: [], logger: logger
            )
        )
        try await group.run()
        guard let report = pool.report else { throw ExitCode(1) }
        return report
    }
}
