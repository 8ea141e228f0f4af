import ArgumentParser
import Drain
import DrainControl
import DrainPostgres
import DrainProtocol
import DrainSQLite
import Foundation
import Logging
import Metrics
import Prometheus
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
    @Option(help: "New jobs per second (0 submits none). Default: 4, or 0 with --http.") var rate: Double?
    @Option(help: "Jobs running at once.") var concurrency = 8
    @Option(help: "Seconds of grace when a drain starts from SIGTERM.") var grace = 30.0
    @Option(help: "Seconds of lame duck before draining (not ready, still working).") var lameDuck = 0.0
    @Option(help: "Seconds cancelled jobs get to wind down before they are abandoned.") var cancelWindow = 2.0
    @Option(help: "The job journal (SQLite). Default: <run dir>/<name>.journal.sqlite.") var journal: String?
    @Option(
        help: ArgumentHelp(
            "Share a PostgreSQL journal with the rest of the fleet (default: $DRAIN_POSTGRES_URL).",
            discussion:
                "postgres://user:password@host:port/database?schema=drain&lease=5&heartbeat=1&sslmode=disable; "
                + "?host=/socket/dir for a Unix socket. Several drain-demos on one database and schema are a fleet."
        ))
    var postgres: String?
    @Option(help: "Write the shutdown report as JSON here.") var report: String?
    @Option(help: "Multiply every job's duration by this factor.") var durationScale = 1.0
    @Flag(
        help: "Declare each kind's median, p90 and p99 durations (scaled) when registering it, as predictions' prior.")
    var declareDurations = false
    @Option(help: "Stop submitting after this many jobs.") var maxJobs: Int?
    @Option(
        help:
            "Hold this many long jobs (kind `hold`, a day each, ended by the drain) in flight from the start; raises --concurrency to fit them."
    )
    var hold = 0
    @Option(
        help:
            "Where the control socket goes (default: $DRAINCTL_RUN_DIR, $XDG_RUNTIME_DIR/drainctl or /tmp/drainctl-<uid>)."
    )
    var runDir: String?
    @Option(help: "Seed for the synthetic workload, for repeatable runs.") var seed: UInt64?
    @Option(
        help:
            "Append 'accepted <id>', 'start <id> <attempt>', 'done <id>' and 'failed <id>' lines here, independent of the journal."
    )
    var record: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "notice"
    @Option(help: "Serve HTTP/1 on HOST:PORT (port 0: any free port); GET /sleep?ms=N is a tracked operation.")
    var http: String?
    @Option(help: "With --http, write the bound port here once listening.") var httpPortFile: String?
    @Option(help: "Control-socket connections served at once (the library's default: 64).") var maxClients: Int?
    @Option(help: "Serve GET /metrics (Prometheus text format) on HOST:PORT (port 0: any free port).")
    var metrics: String?
    @Option(help: "With --metrics, write the bound port here once listening.") var metricsPortFile: String?
    @Option(
        name: .customLong("parent-fd"),
        help: ArgumentHelp(
            "Drain as on SIGTERM when this descriptor reaches end of file (the launcher holds the other end).",
            visibility: .hidden))
    var parentFD: Int32?

    /// With --http the requests are the work: no synthetic jobs unless a rate is asked for.
    private var jobRate: Double { rate ?? (http == nil ? 4 : 0) }

    func validate() throws {
        if let rate { guard rate >= 0, rate.isFinite else { throw ValidationError("--rate must be 0 or more") } }
        if let http {
            do { _ = try HTTPAddress(parsing: http) } catch { throw ValidationError("\(error)") }
        }
        guard httpPortFile == nil || http != nil else { throw ValidationError("--http-port-file needs --http") }
        if let metrics {
            do { _ = try HTTPAddress(parsing: metrics, flag: "--metrics") } catch { throw ValidationError("\(error)") }
        }
        guard metricsPortFile == nil || metrics != nil else {
            throw ValidationError("--metrics-port-file needs --metrics")
        }
        guard postgres == nil || journal == nil else {
            throw ValidationError("--journal (SQLite) and --postgres are two different journals: give one")
        }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard hold >= 0 else { throw ValidationError("--hold must be 0 or more") }
        if let maxClients, !(1...100_000).contains(maxClients) {
            throw ValidationError("--max-clients must be from 1 to 100000")
        }
        guard grace >= 0, grace.isFinite else { throw ValidationError("--grace must be 0 or more seconds") }
        guard lameDuck >= 0, lameDuck.isFinite else { throw ValidationError("--lame-duck must be 0 or more seconds") }
        guard cancelWindow >= 0, cancelWindow.isFinite else {
            throw ValidationError("--cancel-window must be 0 or more")
        }
        guard durationScale > 0, durationScale.isFinite else {
            throw ValidationError("--duration-scale must be above 0")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("unknown --log-level '\(logLevel)'")
        }
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix(".") else {
            throw ValidationError("--name must be a plain name without '/'")
        }
        if let parentFD, parentFD < 0 || fcntl(parentFD, F_GETFD) < 0 {
            throw ValidationError("--parent-fd \(parentFD) is not an open descriptor")
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
        if let parentFD { ParentWatch.start(fd: parentFD) }
        let runDirectory = runDir.map(RunDirectory.init(path:)) ?? .resolve()
        let outcome: ShutdownReport
        do {
            try runDirectory.prepare()
            outcome = try await serve(runDirectory: runDirectory, logger: logger)
        } catch let error as ControlError {
            FileHandle.standardError.write(Data("drain-demo: \(error.message)\n".utf8))
            throw ExitCode(1)
        } catch let error as HTTPFrontError {
            FileHandle.standardError.write(Data("drain-demo: \(error)\n".utf8))
            throw ExitCode(1)
        } catch let error as DrainError {
            FileHandle.standardError.write(
                Data("drain-demo: \(error.message)\(error.cause.map { ": \($0)" } ?? "")\n".utf8))
            throw ExitCode(1)
        } catch let error as PostgresJournalError {
            FileHandle.standardError.write(Data("drain-demo: \(error.message)\n".utf8))
            throw ExitCode(1)
        }
        if let report {
            do {
                try outcome.jsonData().write(to: URL(fileURLWithPath: report), options: .atomic)
            } catch {
                FileHandle.standardError.write(
                    Data("drain-demo: cannot write the report to \(report): \(error)\n".utf8))
            }
        }
        let summary =
            "drain-demo: \(outcome.outcome.rawValue) drain in \(DurationFormat.fixed(outcome.drainSeconds, places: 2))s: "
            + "\(outcome.completed) completed, \(outcome.requeued) requeued, \(outcome.queued) still queued\n"
        FileHandle.standardError.write(Data(summary.utf8))
        if outcome.outcome == .forced { throw ExitCode(3) }
    }

    private func serve(runDirectory: RunDirectory, logger: Logger) async throws -> ShutdownReport {
        let shared = try sharedJournal(logger: logger)
        let store: any JobJournal =
            try shared ?? SQLiteJournal(path: journal ?? "\(runDirectory.path)/\(name).journal.sqlite")
        var configuration = WorkerPoolConfiguration(name: name)
        // Held jobs take slots of their own, so the synthetic work (or HTTP) still runs beside them.
        configuration.maxConcurrentJobs = concurrency + hold
        configuration.defaultGrace = .milliseconds(Int64(grace * 1000))
        configuration.lameDuck = .milliseconds(Int64(lameDuck * 1000))
        configuration.cancellationWindow = .milliseconds(Int64(cancelWindow * 1000))
        // The executable bootstraps the metrics backend, before the pool builds its metrics; the library
        // only ever takes a factory.
        let registry = metrics == nil ? nil : PrometheusCollectorRegistry()
        if let registry {
            MetricsSystem.bootstrap(DescribedMetricsFactory(base: Self.prometheusFactory(registry: registry)))
        }
        let pool = WorkerPool(
            configuration: configuration, journal: store, signals: await DrainSignal.unixSignals(), logger: logger
        )
        let work = SyntheticWork(scale: durationScale, seed: seed ?? UInt64.random(in: 0...UInt64.max))
        let recorder = try record.map { try JobRecorder(path: $0) }
        for kind in SyntheticWork.Kind.allCases {
            let median = SyntheticWork.typicalSeconds(kind) * durationScale
            let p90 = SyntheticWork.p90Seconds(kind) * durationScale
            let p99 = SyntheticWork.p99Seconds(kind) * durationScale
            pool.register(
                kind: kind.rawValue, expectedDuration: declareDurations ? .milliseconds(Int64(median * 1000)) : nil,
                expectedP90: declareDurations ? .milliseconds(Int64(p90 * 1000)) : nil,
                expectedP99: declareDurations ? .milliseconds(Int64(p99 * 1000)) : nil
            ) { job in try await work.perform(job, recorder: recorder) }
        }
        // `hold`: runs until the drain cancels it, so the pool has `--hold` jobs in flight for as long as it runs.
        pool.register(kind: Producer.holdKind, expectedDuration: .seconds(3600)) { _ in
            try await Task.sleep(for: .seconds(86_400))
        }
        var control = ControlServerConfiguration(runDirectory: runDirectory)
        if let maxClients { control.maxClients = maxClients }
        let server = try await ControlServer.bind(pool: pool, configuration: control, logger: logger)
        var front: HTTPFront?
        if let http { front = try await startHTTP(address: http, pool: pool, logger: logger) }
        var scrapes: MetricsEndpoint?
        if let metrics, let registry { scrapes = try await startMetrics(address: metrics, registry: registry) }
        let producer = Producer(
            pool: pool, work: work, rate: jobRate, limit: maxJobs, hold: hold, logger: logger,
            recorder: recorder
        )
        // Stopped in reverse order. The shared journal goes first so that it stops last: the pool, stopped
        // before it, can still write its outcomes through the journal's PostgresClient. The metrics endpoint
        // answers scrapes until the very end.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let shared { services.append(.init(service: shared)) }
        if let scrapes { services.append(.init(service: scrapes)) }
        services.append(
            .init(service: server, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore))
        services.append(
            .init(service: producer, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore))
        if let front { services.append(.init(service: front)) }
        services.append(.init(service: pool, successTerminationBehavior: .gracefullyShutdownGroup))
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services,
                // The pool owns SIGTERM, SIGINT and SIGQUIT: the group must not trap them too.
                gracefulShutdownSignals: [], cancellationSignals: [], logger: logger
            )
        )
        try await group.run()
        guard let report = pool.report else { throw DrainError(.notRunning, "the pool ended without a report") }
        return report
    }

    /// The PostgreSQL journal from `--postgres` or `$DRAIN_POSTGRES_URL`; nil for the SQLite one.
    private func sharedJournal(logger: Logger) throws -> PostgresJournal? {
        let environment = ProcessInfo.processInfo.environment["DRAIN_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
        guard let url = postgres ?? (journal == nil ? environment : nil) else { return nil }
        var configuration = try PostgresJournalConfiguration(url: url)
        configuration.workerName = name
        return try PostgresJournal(configuration: configuration, logger: logger)
    }

    /// Binds the HTTP front and says where, on stdout and in `--http-port-file`, for scripts and harnesses.
    private func startHTTP(address: String, pool: WorkerPool, logger: Logger) async throws -> HTTPFront {
        let front = try await HTTPFront.bind(try HTTPAddress(parsing: address), pool: pool, logger: logger)
        if let httpPortFile { try PortFile.write(front.address.port ?? 0, to: httpPortFile) }
        FileHandle.standardOutput.write(Data("drain-demo: http listening on \(front.boundAddress)\n".utf8))
        return front
    }

    /// Binds the metrics endpoint and says where, like ``startHTTP(address:pool:logger:)``.
    private func startMetrics(address: String, registry: PrometheusCollectorRegistry) async throws
        -> MetricsEndpoint
    {
        let endpoint = try await MetricsEndpoint.bind(
            try HTTPAddress(parsing: address, flag: "--metrics"), registry: registry)
        let port = endpoint.address.port ?? 0
        if let metricsPortFile { try PortFile.write(port, to: metricsPortFile) }
        FileHandle.standardOutput.write(
            Data("drain-demo: metrics at http://\(endpoint.address.ipAddress ?? "?"):\(port)/metrics\n".utf8))
        return endpoint
    }

    /// Prometheus with histogram buckets that suit drains (its defaults stop at 10 s).
    static func prometheusFactory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [
            DrainMetrics.jobDuration: DrainMetrics.jobDurationBuckets,
            DrainMetrics.operationDuration: DrainMetrics.operationDurationBuckets,
            DrainMetrics.drainDuration: DrainMetrics.drainDurationBuckets,
        ]
        return factory
    }
}
