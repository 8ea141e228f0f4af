import ArgumentParser
import Drain
import DrainClient
import Foundation
import Logging

/// A Vapor app whose requests are tracked by a Drain pool: `GET /sleep?ms=N` and `GET /healthz`.
///
/// The command line is here and the app in ``ExampleServer``, each file importing one of ArgumentParser and
/// Vapor: Vapor re-exports ConsoleKit, whose `@Option` and `@Flag` would clash with ArgumentParser's.
@main
struct Example: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain-vapor-example",
        abstract: "A Vapor app that drains on SIGTERM: in-flight requests finish, new ones are refused.",
        discussion: "Exit codes: 0 clean drain; 3 forced (requests cancelled); 1 could not start; 64 bad arguments."
    )

    @Option(help: "The service name shown by drainctl.") var name = "vapor"
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
        let server = ExampleServer(
            name: name, host: host, port: port, portFile: portFile, grace: grace, lameDuck: lameDuck,
            cancelWindow: cancelWindow, journal: journal ?? "\(runDirectory.path)/\(name).journal.sqlite")
        guard let report = try await server.serve(runDirectory: runDirectory, logger: logger) else {
            throw ExitCode(1)
        }
        return report
    }
}
