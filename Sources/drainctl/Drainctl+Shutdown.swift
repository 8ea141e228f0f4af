import ArgumentParser
import DrainClient
import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

extension Drainctl {
    struct Shutdown: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drain a process with the grace you choose now, and follow it to the end.",
            discussion: """
                On a process that is already draining, this moves the deadline to --grace seconds from now.
                --grace auto lets the process plan the grace as its drain begins: the time that drains every \
                job in flight then with 90 % probability, whole seconds up, capped by --max-grace. On a \
                process already draining, it plans from now. A process too old to plan its own answers \
                bad_request; drainctl then plans from its status (at least 1 s), as before.
                Follows the drain live (a progress line on a terminal, one line per event otherwise) and \
                exits 0 when it was clean, 1 when it was forced, 2 if the connection was lost first.

                --all drains every live process of the run directory at once (what `systemctl stop` or a \
                node drain does with SIGTERM), follows them all with one line per event tagged with its \
                process, prints one summary line per process and exits with the worst outcome: 0 all clean, \
                1 any forced, 2 any lost. There is no remote shutdown of a fleet: each host drains its own \
                processes (run this on the host, from ExecStop or a preStop hook).

                Examples:
                  drainctl shutdown --grace 30
                  drainctl shutdown --grace auto --max-grace 120
                  drainctl shutdown --grace 5 --reason "deploy 1.4.2" --no-wait
                  drainctl shutdown --grace 10 --json > report.json
                  drainctl shutdown --all --grace 20
                """
        )

        @OptionGroup var target: TargetOptions
        // Unconditional: `--grace -1` must reach validate() and its range message, not be read as a flag.
        @Option(
            parsing: .unconditional,
            help: ArgumentHelp(
                "Seconds in-flight work may take, or 'auto' for the planner's (default: the service's own).",
                valueName: "seconds|auto"))
        var grace: ShutdownGrace?
        @Option(help: "With --grace auto: the longest grace to take, in seconds.")
        var maxGrace = ControlProtocol.defaultMaxGrace
        @Option(help: "Why, shown in the service's events and report.") var reason: String?
        @Flag(help: "Start the drain and return at once.") var noWait = false
        @Flag(help: "Print events and the final report as JSON lines.") var json = false
        @Flag(help: "Drain every process in the run directory at once (this host only).") var all = false

        func validate() throws {
            if all, target.socket != nil { throw ValidationError("--all and --socket exclude each other") }
            if case .seconds(let grace) = grace, !ControlProtocol.isValidGrace(grace) {
                throw ValidationError("--grace must be a number of seconds from 0 to 86400, or auto")
            }
            guard ControlProtocol.isValidMaxGrace(maxGrace) else {
                throw ValidationError("--max-grace must be a number of seconds above 0, at most 86400")
            }
        }

        /// Asks for the drain: with the grace given, or with `auto`, planned by the process as its drain
        /// begins. A process too old for that answers `bad_request` and drains nothing; its plan is then
        /// read from its status, which misses the jobs that start between the two requests.
        /// - Throws: ``ControlError`` `refused` when `auto` meets an old process with no plan to show.
        func startDrain(_ client: ControlClient) async throws -> PoolSnapshot {
            switch grace {
            case nil:
                return try await client.shutdown(grace: nil, reason: reason)
            case .seconds(let seconds):
                return try await client.shutdown(grace: seconds, reason: reason)
            case .auto:
                do {
                    let snapshot = try await client.shutdown(plannedGraceUpTo: maxGrace, reason: reason)
                    let planned = snapshot.recentEvents.last {
                        $0.kind == .deadlineChanged && $0.message.hasPrefix("grace planned:")
                    }?.message
                    let left = snapshot.secondsLeft.map { DurationFormat.duration(max(0, $0).rounded()) } ?? "-"
                    // Named, since `--all` prints one such line per process.
                    printError(
                        "grace auto: \(snapshot.name) (pid \(snapshot.pid)): \(left) left (\(planned ?? "planned by it"))"
                    )
                    return snapshot
                } catch let error as ControlError where error.serverCode == WireErrorCode.badRequest.rawValue {
                    return try await client.shutdown(grace: try await planFromStatus(client), reason: reason)
                }
            }
        }

        /// The plan of a process too old to make its own: its status's suggested grace, capped.
        private func planFromStatus(_ client: ControlClient) async throws -> Double {
            let snapshot = try await client.status()
            guard let plan = snapshot.plan else {
                throw ControlError(
                    .refused,
                    "--grace auto needs the planner, which this process (too old to plan its own grace) shows only while running (\(snapshot.name) is \(snapshot.phase.rawValue)); give --grace in seconds"
                )
            }
            // At least a second: jobs that start between this status and the shutdown need some too.
            let suggested = plan.suggestedGraceSeconds.map { max(1, $0.rounded(.up)) }
            let chosen = min(maxGrace, suggested ?? maxGrace)
            let why =
                suggested.map { "the planner's \(DurationFormat.duration($0)) for 90 %" }
                ?? "no 90 % grace within a day"
            let capped = chosen < (suggested ?? .infinity) ? ", capped by --max-grace" : ""
            printError(
                "grace auto: \(DurationFormat.duration(chosen)) from \(snapshot.name)'s status (\(why)\(capped))")
            return chosen
        }

        func run() async throws {
            if all {
                let host = HostShutdown(
                    runDirectory: target.runDirectory, start: { try await self.startDrain($0) }, noWait: noWait,
                    json: json)
                let code = try await host.run()
                if code != 0 { throw ExitCode(code) }
                return
            }
            let entry = try target.select()
            let interactive = isatty(STDOUT_FILENO) == 1 && !json
            let report: ShutdownReport? = try await reportingFailures {
                try await ControlClient.withConnection(path: entry.path) { client in
                    if !noWait { try await client.subscribe(intervalMs: 200) }
                    let snapshot = try await startDrain(client)
                    if noWait {
                        if json {
                            emit(String(decoding: try JSONEncoder.drain.encode(snapshot), as: UTF8.self))
                        } else {
                            emit(
                                "\(entry.name) (pid \(entry.pid)): \(snapshot.phase.rawValue), grace \(snapshot.graceSeconds.map { "\($0)s" } ?? "-"), \(snapshot.inFlight) in flight"
                            )
                        }
                        return nil
                    }
                    return try await follow(client, interactive: interactive)
                }
            }
            guard !noWait else { return }
            guard let report else {
                if interactive { write(to: STDOUT_FILENO, "\n") }
                printError(
                    "lost the connection to \(entry.name) (pid \(entry.pid)) before the drain finished; the process may have been killed"
                )
                throw ExitCode(ExitCodes.connectionLost)
            }
            if json {
                emit(String(decoding: try report.jsonData(), as: UTF8.self))
            } else {
                if interactive { write(to: STDOUT_FILENO, "\r\u{1B}[2K") }
                emit(
                    "\(report.name) (pid \(report.pid)) stopped \(report.outcome.rawValue) in \(DurationFormat.fixed(report.drainSeconds, places: 2))s: "
                        + "\(report.completed) completed, \(report.cancelled) cancelled, \(report.requeued) requeued"
                )
            }
            if report.outcome == .forced { throw ExitCode(ExitCodes.forced) }
        }

        /// Prints progress until the `stopped` event; nil when the connection ends without one.
        private func follow(_ client: ControlClient, interactive: Bool) async throws -> ShutdownReport? {
            var lastSeq = 0
            while let message = try await client.next() {
                if let event = message.event, event.seq > lastSeq {
                    lastSeq = event.seq
                    if interactive {
                        write(to: STDOUT_FILENO, "\r\u{1B}[2K")
                        emit(SnapshotText.render(event))
                    } else if json {
                        emit(String(decoding: try JSONEncoder.drain.encode(event), as: UTF8.self))
                    } else {
                        emit(SnapshotText.render(event))
                    }
                    if event.kind == .stopped, let report = event.report { return report }
                }
                if interactive, let s = message.snapshot, s.phase != .stopped {
                    let left = s.secondsLeft.map { DurationFormat.fixed(max(0, $0), places: 1) + "s left" } ?? ""
                    let done = "\(s.drainedSinceStart ?? 0)/\(s.inFlightAtDrainStart ?? s.inFlight) done"
                    let line = "\(s.phase.rawValue.uppercased())  in flight \(s.inFlight)  \(done)  \(left)"
                    write(to: STDOUT_FILENO, "\r\u{1B}[2K\(line)")
                }
            }
            return nil
        }
    }
}
