import Drain
import DrainClient
import DrainControl
import DrainSQLite
import DrainVapor
import Foundation
import Logging
import ServiceLifecycle
import Vapor

/// The example's pool, control socket and Vapor app, run in one `ServiceGroup`.
struct ExampleServer {
    var name: String
    var host: String
    var port: Int
    var portFile: String?
    var grace: Double
    var lameDuck: Double
    var cancelWindow: Double
    var journal: String

    /// Serves until the pool has stopped; returns its report (nil if it has none).
    func serve(runDirectory: RunDirectory, logger: Logger) async throws -> ShutdownReport? {
        // The pool only tracks requests here: its journal holds no jobs, but it is what a pool runs on.
        let journal = try SQLiteJournal(path: self.journal)
        var configuration = WorkerPoolConfiguration(name: name)
        configuration.defaultGrace = .milliseconds(Int64(grace * 1000))
        configuration.lameDuck = .milliseconds(Int64(lameDuck * 1000))
        configuration.cancellationWindow = .milliseconds(Int64(cancelWindow * 1000))
        let pool = WorkerPool(
            configuration: configuration, journal: journal, signals: await DrainSignal.unixSignals(), logger: logger)
        let control = try await ControlServer.bind(
            pool: pool, configuration: ControlServerConfiguration(runDirectory: runDirectory), logger: logger)

        // An environment of its own: Vapor's default one would parse this command's arguments as its own.
        let app = try await Application.make(Environment(name: "production", arguments: [name]), logger: logger)
        app.middleware.use(DrainMiddleware(pool: pool))
        app.addReadinessRoute(pool: pool)
        app.get("sleep") { request async throws -> String in
            let ms = request.query[Int.self, at: "ms"] ?? 0
            try await Task.sleep(for: .milliseconds(ms))
            return "slept \(ms) ms\n"
        }
        let portFile = self.portFile
        let service = DrainingApplication(
            app, pool: pool, address: .hostname(host, port: port), logger: logger,
            onServerRunning: { app in
                let port = app.http.server.shared.localAddress?.port ?? 0
                if let portFile {
                    // Whole, then renamed: a script polling for the file never reads half a port.
                    try? Data("\(port)\n".utf8).write(to: URL(fileURLWithPath: portFile + ".partial"))
                    rename(portFile + ".partial", portFile)
                }
                FileHandle.standardOutput.write(Data("listening on port \(port)\n".utf8))
            })
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: control, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore),
                    .init(service: service),
                    .init(service: pool, successTerminationBehavior: .gracefullyShutdownGroup),
                ],
                // The pool owns SIGTERM, SIGINT and SIGQUIT: the group must not trap them too, and Vapor's
                // serve command, which would, is not run.
                gracefulShutdownSignals: [], cancellationSignals: [], logger: logger
            )
        )
        try await group.run()
        return pool.report
    }
}
