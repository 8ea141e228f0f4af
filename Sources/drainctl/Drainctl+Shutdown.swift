import ArgumentParser
import DrainControl
import DrainProtocol
import Foundation

extension Drainctl {
    struct Shutdown: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drain a process with the grace you choose now, and follow it to the end.",
            discussion: """
                On a process that is already draining, this moves the deadline to --grace seconds from now.
                Follows the drain live (a progress line on a terminal, one line per event otherwise) and \
                exits 0 when it was clean, 1 when it was forced, 2 if the connection was lost first.

                --all drains every live process of the run directory at once (what `systemctl stop` or a \
                node drain does with SIGTERM), follows them all with one line per event tagged with its \
                process, prints one summary line per process and exits with the worst outcome: 0 all clean, \
                1 any forced, 2 any lost. There is no remote shutdown of a fleet: each host drains its own \
                processes (run this on the host, from ExecStop or a preStop hook).

                Examples:
                  drainctl shutdown --grace 30
                  drainctl shutdown --grace 5 --reason "deploy 1.4.2" --no-wait
                  drainctl shutdown --grace 10 --json > report.json
                  drainctl shutdown --all --grace 20
                """
        )

        @OptionGroup var target: TargetOptions
        @Option(help: "Seconds in-flight work may take (default: the service's own default).") var grace: Double?
        @Option(help: "Why, shown in the service's events and report.") var reason: String?
        @Flag(help: "Start the drain and return at once.") var noWait = false
        @Flag(help: "Print events and the final report as JSON lines.") var json = false
        @Flag(help: "Drain every process in the run directory at once (this host only).") var all = false

        func validate() throws {
            if all, target.socket != nil { throw ValidationError("--all and --socket exclude each other") }
            if let grace, !(grace.isFinite && grace >= 0 && grace <= 86_400) {
                throw ValidationError("--grace must be a number of seconds from 0 to 86400")
            }
        }

        func run() async throws {
            if all {
                let host = HostShutdown(
                    runDirectory: target.runDirectory, grace: grace, reason: reason, noWait: noWait, json: json)
                let code = try await host.run()
                if code != 0 { throw ExitCode(code) }
                return
            }
            let entry = try target.select()
            let interactive = isatty(STDOUT_FILENO) == 1 && !json
            let report: ShutdownReport? = try await reportingFailures {
                try await ControlClient.withConnection(path: entry.path) { client in
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
                if interactive { FileHandle.standardOutput.write(Data("\n".utf8)) }
                Failure.printError(
                    "lost the connection to \(entry.name) (pid \(entry.pid)) before the drain finished; the process may have been killed"
                )
                throw ExitCode(Failure.connectionLost)
            }
            if json {
                emit(String(decoding: try report.jsonData(), as: UTF8.self))
            } else {
                if interactive { FileHandle.standardOutput.write(Data("\r\u{1B}[2K".utf8)) }
                emit(
                    "\(report.name) (pid \(report.pid)) stopped \(report.outcome.rawValue) in \(String(format: "%.2f", report.drainSeconds))s: "
                        + "\(report.completed) completed, \(report.cancelled) cancelled, \(report.requeued) requeued"
                )
            }
            if report.outcome == .forced { throw ExitCode(Failure.forced) }
        }

        /// Prints progress until the `stopped` event; nil when the connection ends without one.
        private func follow(_ client: ControlClient, interactive: Bool) async throws -> ShutdownReport? {
            var lastSeq = 0
            while let message = try await client.next() {
                if let event = message.event, event.seq > lastSeq {
                    lastSeq = event.seq
                    if interactive {
                        FileHandle.standardOutput.write(Data("\r\u{1B}[2K".utf8))
                        emit(SnapshotText.render(event))
                    } else if json {
                        emit(String(decoding: try JSONEncoder.drain.encode(event), as: UTF8.self))
                    } else {
                        emit(SnapshotText.render(event))
                    }
                    if event.kind == .stopped, let report = event.report { return report }
                }
                if interactive, let s = message.snapshot, s.phase != .stopped {
                    let left = s.secondsLeft.map { String(format: "%.1fs left", max(0, $0)) } ?? ""
                    let done = "\(s.drainedSinceStart ?? 0)/\(s.inFlightAtDrainStart ?? s.inFlight) done"
                    let line = "\(s.phase.rawValue.uppercased())  in flight \(s.inFlight)  \(done)  \(left)"
                    FileHandle.standardOutput.write(Data("\r\u{1B}[2K\(line)".utf8))
                }
            }
            return nil
        }
    }
}
