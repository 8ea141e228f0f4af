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
                --grace auto takes the grace the service's planner suggests (the time that drains every job \
                in flight now with 90 % probability, whole seconds up, at least 1 s), capped by --max-grace.
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
        var grace: GraceChoice?
        @Option(help: "With --grace auto: the longest grace to take, in seconds.") var maxGrace = 300.0
        @Option(help: "Why, shown in the service's events and report.") var reason: String?
        @Flag(help: "Start the drain and return at once.") var noWait = false
        @Flag(help: "Print events and the final report as JSON lines.") var json = false
        @Flag(help: "Drain every process in the run directory at once (this host only).") var all = false

        func validate() throws {
            if all, target.socket != nil { throw ValidationError("--all and --socket exclude each other") }
            if case .seconds(let grace) = grace, !ControlProtocol.isValidGrace(grace) {
                throw ValidationError("--grace must be a number of seconds from 0 to 86400, or auto")
            }
            guard maxGrace.isFinite, maxGrace > 0, maxGrace <= 86_400 else {
                throw ValidationError("--max-grace must be a number of seconds above 0, at most 86400")
            }
        }

        /// The grace to send: the one given, or the planner's, capped.
        /// - Throws: ``ControlError`` `refused` when `auto` meets a process with no plan.
        func resolveGrace(_ client: ControlClient) async throws -> Double? {
            switch grace {
            case nil: return nil
            case .seconds(let seconds): return seconds
            case .auto:
                let snapshot = try await client.status()
                guard let plan = snapshot.plan else {
                    throw ControlError(
                        .refused,
                        "--grace auto needs the planner, which a process shows only while running (\(snapshot.name) is \(snapshot.phase.rawValue)); give --grace in seconds"
                    )
                }
                // At least a second: jobs that start between this status and the shutdown need some too.
                let suggested = plan.suggestedGraceSeconds.map { max(1, $0.rounded(.up)) }
                let chosen = min(maxGrace, suggested ?? maxGrace)
                let why =
                    suggested.map { "the planner's \(DurationFormat.duration($0)) for 90 %" }
                    ?? "no 90 % grace within a day"
                let capped = chosen < (suggested ?? .infinity) ? ", capped by --max-grace" : ""
                printError("grace auto: \(DurationFormat.duration(chosen)) (\(why)\(capped))")
                return chosen
            }
        }

        func run() async throws {
            if all {
                let host = HostShutdown(
                    runDirectory: target.runDirectory, grace: { try await self.resolveGrace($0) }, reason: reason,
                    noWait: noWait, json: json)
                let code = try await host.run()
                if code != 0 { throw ExitCode(code) }
                return
            }
            let entry = try target.select()
            let interactive = isatty(STDOUT_FILENO) == 1 && !json
            let report: ShutdownReport? = try await reportingFailures {
                try await ControlClient.withConnection(path: entry.path) { client in
                    let grace = try await resolveGrace(client)
                    if !noWait { try await client.subscribe(intervalMs: 200) }
                    let snapshot = try await client.shutdown(grace: grace, reason: reason)
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
