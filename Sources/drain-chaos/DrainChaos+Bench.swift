import ArgumentParser
import Drain
import DrainPostgres
import DrainSQLite
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

extension DrainChaos {
    /// `drain-chaos fleet-bench`: the measurements behind BENCHMARKS.md's fleet rows, driven by `bench/fleet`.
    struct FleetBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fleet-bench",
            abstract: "Measure the shared journal: durable jobs/s, hand-off latency, rescue time (JSON out).",
            discussion: """
                Run by bench/fleet, which starts the PostgreSQL server and the pgbench floor in the same run. \
                Throughput: --submitters tasks submit --jobs empty jobs to --workers pools (4 by default) and \
                the clock stops when every job is done, durable at both ends. The same load on one SQLite pool \
                is the embedded comparison. Rescue: --kill-trials times per lease in --kill-leases, a drain-demo \
                running a job is SIGKILLed and the clock runs until an idle drain-demo peer starts that job; \
                the --rescues in-process trials (a worker whose journal service stops) are the floor, without \
                a process to start or kill.
                """
        )

        @Option(help: "The PostgreSQL URL (a schema of its own is used per measurement).") var postgres: String
        @Option(help: "Where the SQLite comparison keeps its journal.") var sqliteDir: String
        @Option(help: "Jobs in the throughput runs.") var jobs = 20_000
        @Option(help: "Worker pools sharing the PostgreSQL queue.") var workers = 4
        @Option(help: "Concurrent submitters.") var submitters = 32
        @Option(help: "Hand-off trials.") var handoffs = 20
        @Option(help: "In-process rescue trials (the floor: a worker whose journal service stops).") var rescues = 3
        @Option(help: "The lease for the in-process rescue trials, seconds.") var lease = 2.0
        @Option(help: "SIGKILL rescue trials per lease (real drain-demos; 0 skips them).") var killTrials = 5
        @Option(
            help: "The leases of the SIGKILL rescue trials, seconds, comma-separated (heartbeat: min(1 s, lease / 4)).")
        var killLeases = "5,2"
        @Option(help: "The drain-demo binary for the SIGKILL trials (default: next to drain-chaos).") var demo: String?
        @Flag(help: "Only the PostgreSQL throughput run (bench/fleet --profile counts its statements).")
        var throughputOnly = false

        func validate() throws {
            guard killTrials >= 0 else { throw ValidationError("--kill-trials must be 0 or more") }
            guard let leases = parsedKillLeases, leases.allSatisfy({ $0 >= 0.5 && $0 <= 60 }) else {
                throw ValidationError("--kill-leases must be seconds from 0.5 to 60, comma-separated")
            }
            guard killTrials == 0 || !leases.isEmpty else { throw ValidationError("--kill-leases is empty") }
        }

        private var parsedKillLeases: [Double]? {
            let leases = killLeases.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            return leases.contains(nil) ? nil : leases.compactMap { $0 }
        }

        func run() async throws {
            let trap = InterruptTrap()
            defer { DemoProcess.killAll() }
            let logger = Logger(label: "fleet-bench", factory: { _ in SwiftLogNoOpLogHandler() })
            var results: [String: Any] = [:]
            let postgresRate = try await throughput(logger: logger) { index in
                try self.journal("bench_tp", logger: logger)
            }
            results["postgres_jobs_per_second"] = postgresRate
            if throughputOnly {
                let data = try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            let sqlitePath = "\(sqliteDir)/bench-\(UUID().uuidString).sqlite"
            let sqlite = try SQLiteJournal(path: sqlitePath)
            results["sqlite_jobs_per_second"] = try await throughput(logger: logger, pools: 1) { _ in sqlite }
            let handoff = try await handOffs(logger: logger)
            results["handoff_p50_ms"] = handoff.p50 * 1000
            results["handoff_p90_ms"] = handoff.p90 * 1000
            let rescue = try await rescueTimes(logger: logger)
            results["rescue_median_s"] = rescue
            results["lease_s"] = lease
            results["kill_rescues"] = try await killRescues().map { result in
                ["lease_s": result.lease, "heartbeat_s": result.heartbeat, "samples_s": result.samples] as [String: Any]
            }
            let data = try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            withExtendedLifetime(trap) {}
        }

        /// The SIGKILL trials, one ``KillRescueBench/Result`` per lease, on real drain-demos.
        private func killRescues() async throws -> [KillRescueBench.Result] {
            guard killTrials > 0 else { return [] }
            let demoPath = demo ?? Run.siblingDemo()
            guard access(demoPath, X_OK) == 0 else {
                throw ChaosError(.invalidInput, "no executable drain-demo at \(demoPath); build it or pass --demo")
            }
            var template = Array("/tmp/drain-kill-rescue-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else {
                throw ChaosError(.invalidInput, "cannot create a work directory in /tmp")
            }
            let work = String(cString: made)
            defer { try? FileManager.default.removeItem(atPath: work) }
            let bench = KillRescueBench(demo: demoPath, postgres: postgres, workDirectory: work, trials: killTrials)
            var results: [KillRescueBench.Result] = []
            for lease in parsedKillLeases ?? [] { results.append(try await bench.measure(lease: lease)) }
            return results
        }

        private func journal(
            _ schema: String, lease: Double = 5, logger: Logger
        ) throws -> PostgresJournal {
            let separator = postgres.contains("?") ? "&" : "?"
            var configuration = try PostgresJournalConfiguration(
                url: postgres + "\(separator)schema=\(schema)_\(getpid())")
            configuration.lease = .milliseconds(Int64(lease * 1000))
            configuration.heartbeat = .milliseconds(Int64(min(1, lease / 4) * 1000))
            return try PostgresJournal(configuration: configuration, logger: logger)
        }

        /// Submit → done, durable: jobs/s over `pools` pools fed by the submitters.
        private func throughput(
            logger: Logger, pools count: Int? = nil, _ make: (Int) throws -> any JobJournal
        ) async throws -> Double {
            let count = count ?? workers
            let done = Atomic<Int>(0)
            var pools: [WorkerPool] = []
            var services: [Task<Void, any Error>] = []
            for index in 0..<count {
                let journal = try make(index)
                var configuration = WorkerPoolConfiguration(name: "bench-\(index)")
                configuration.maxConcurrentJobs = 16
                configuration.maxQueuedJobs = 100_000
                let pool = WorkerPool(configuration: configuration, journal: journal, logger: logger)
                pool.register(kind: "noop") { _ in done.add(1, ordering: .relaxed) }
                if let service = journal as? PostgresJournal { services.append(Task { try await service.run() }) }
                services.append(Task { try await pool.run() })
                pools.append(pool)
            }
            while !pools.allSatisfy({ $0.snapshot().loaded }) { try await Task.sleep(for: .milliseconds(10)) }
            let clock = ContinuousClock()
            let started = clock.now
            let jobs = self.jobs
            let submitters = self.submitters
            let poolList = pools
            try await withThrowingTaskGroup(of: Void.self) { group in
                for submitter in 0..<submitters {
                    group.addTask {
                        var index = submitter
                        while index < jobs {
                            try await poolList[index % poolList.count].submit(kind: "noop")
                            index += submitters
                        }
                    }
                }
                try await group.waitForAll()
            }
            while done.load(ordering: .relaxed) < jobs { try await Task.sleep(for: .milliseconds(2)) }
            // Done means the handler returned; durable means its outcome is committed: nothing left in flight.
            var settled = false
            while !settled {
                settled = true
                for pool in pools where pool.snapshot().inFlight > 0 { settled = false }
                if !settled { try await Task.sleep(for: .milliseconds(2)) }
            }
            let seconds = (clock.now - started).seconds
            for pool in pools { _ = try? pool.drain(grace: .seconds(5)) }
            for pool in pools { await pool.waitUntilStopped() }
            for service in services { service.cancel() }
            return Double(jobs) / seconds
        }

        /// A job cut off by a forced drain on one worker → started on another: seconds, p50 and p90.
        private func handOffs(logger: Logger) async throws -> (p50: Double, p90: Double) {
            var samples: [Double] = []
            for trial in 0..<handoffs {
                let schema = "bench_ho\(trial)"
                let sender = try journal(schema, logger: logger)
                let running = Atomic<Bool>(false)
                let sending = pool(sender, name: "sender", logger: logger) { _ in
                    running.store(true, ordering: .relaxed)
                    try await Task.sleep(for: .seconds(60))
                }
                let senderTasks = [Task { try await sender.run() }, Task { try await sending.run() }]
                while !sending.snapshot().loaded { try await Task.sleep(for: .milliseconds(5)) }
                try await sending.submit(kind: "block")
                while !running.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(1)) }
                // The receiver starts once the job runs on the sender, and gets a moment to LISTEN.
                let startedAt = Mutex<ContinuousClock.Instant?>(nil)
                let receiver = try journal(schema, logger: logger)
                let receiving = pool(receiver, name: "receiver", logger: logger) { _ in
                    startedAt.withLock { $0 = $0 ?? .now }
                }
                let receiverTasks = [Task { try await receiver.run() }, Task { try await receiving.run() }]
                while !receiving.snapshot().loaded { try await Task.sleep(for: .milliseconds(5)) }
                try await Task.sleep(for: .milliseconds(300))
                let forced = ContinuousClock.now
                _ = try sending.drain(grace: .zero)
                while startedAt.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(1)) }
                samples.append(((startedAt.withLock { $0 } ?? forced) - forced).seconds)
                await sending.waitUntilStopped()
                _ = try? receiving.drain(grace: .seconds(1))
                await receiving.waitUntilStopped()
                for task in senderTasks + receiverTasks { task.cancel() }
            }
            samples.sort()
            return (samples[samples.count / 2], samples[min(samples.count - 1, samples.count * 9 / 10)])
        }

        /// A worker that stops beating (its journal service gone, as after SIGKILL) → its job started on a
        /// peer: the median over the trials, in seconds. In one process, with no process to kill and no peer
        /// to start, so it is the floor under ``killRescues()``, not the measurement of a crash.
        private func rescueTimes(logger: Logger) async throws -> Double {
            var samples: [Double] = []
            for trial in 0..<rescues {
                let schema = "bench_re\(trial)"
                let dying = try journal(schema, lease: lease, logger: logger)
                let running = Atomic<Bool>(false)
                let dyingPool = pool(dying, name: "dying", logger: logger) { _ in
                    running.store(true, ordering: .relaxed)
                    try await Task.sleep(for: .seconds(60))
                }
                let dyingService = Task { try await dying.run() }
                let dyingRun = Task { try await dyingPool.run() }
                while !dyingPool.snapshot().loaded { try await Task.sleep(for: .milliseconds(5)) }
                try await dyingPool.submit(kind: "block")
                while !running.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(1)) }
                let rescuedAt = Mutex<ContinuousClock.Instant?>(nil)
                let peer = try journal(schema, lease: lease, logger: logger)
                let peerPool = pool(peer, name: "peer", logger: logger) { _ in rescuedAt.withLock { $0 = $0 ?? .now } }
                let peerTasks = [Task { try await peer.run() }, Task { try await peerPool.run() }]
                while !peerPool.snapshot().loaded { try await Task.sleep(for: .milliseconds(5)) }
                dyingService.cancel()
                let killed = ContinuousClock.now
                while rescuedAt.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(2)) }
                samples.append(((rescuedAt.withLock { $0 } ?? killed) - killed).seconds)
                _ = try? dyingPool.drain(grace: .zero)
                dyingRun.cancel()
                _ = try? peerPool.drain(grace: .seconds(1))
                await peerPool.waitUntilStopped()
                for task in peerTasks { task.cancel() }
            }
            samples.sort()
            return samples[samples.count / 2]
        }

        private func pool(
            _ journal: PostgresJournal, name: String, logger: Logger, _ handler: @escaping JobHandler
        ) -> WorkerPool {
            var configuration = WorkerPoolConfiguration(name: name)
            configuration.cancellationWindow = .milliseconds(50)
            let pool = WorkerPool(configuration: configuration, journal: journal, logger: logger)
            pool.register(kind: "block", handler: handler)
            return pool
        }
    }
}
