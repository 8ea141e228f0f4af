// BEGIN README EXAMPLE
import Drain
import DrainControl
import DrainSQLite
import Foundation
import Logging
import ServiceLifecycle

/// Runs a worker pool with its control socket until a drain completes.
func runWorker(journalPath: String, logger: Logger) async throws -> ShutdownReport? {
    let journal = try SQLiteJournal(path: journalPath)
    var configuration = WorkerPoolConfiguration(name: "shop")
    configuration.maxConcurrentJobs = 16
    configuration.defaultGrace = .seconds(30)
    let pool = WorkerPool(
        configuration: configuration,
        journal: journal,
        signals: await DrainSignal.unixSignals(),
        logger: logger
    )
    pool.register(kind: "email.send") { job in
        // Delivery is at least once: a handler must be idempotent.
        try await Task.sleep(for: .milliseconds(job.payload.count))
    }
    let control = try await ControlServer.bind(pool: pool, logger: logger)
    let group = ServiceGroup(
        configuration: ServiceGroupConfiguration(
            services: [
                .init(service: control),
                .init(service: pool, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            // The pool owns SIGTERM, SIGINT and SIGQUIT; the group must not trap them too.
            gracefulShutdownSignals: [],
            cancellationSignals: [],
            logger: logger
        )
    )
    try await group.run()
    return pool.report
}
// END README EXAMPLE
