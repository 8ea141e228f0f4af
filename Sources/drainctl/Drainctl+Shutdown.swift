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
                Follows the drain live (a progress line on a terminal, one line per event otherwise) and \
                exits 0 when it was clean, 1 when it was forced, 2 if the connection was lost first.

                Examples:
                  drainctl shutdown --grace 30
                  drainctl shutdown --grace 5 --reason "deploy 1.4.2" --no-wait
                  drainctl shutdown --grace 10 --json > report.json
                """
        )

        @OptionGroup var target: TargetOptions
        // Unconditional: `--grace -1` must reach validate() and its range message, not be read as a flag.
        @Option(parsing: .unconditional, help: "Seconds in-flight work may take (default: the service's own default).")
        var grace: Double?
        @Option(help: "Why, shown in the service's events and report.") var reason: String?
        @Flag(help: "Start the drain and return at once.") var noWait = false
        @Flag(help: "Print events and the final report as JSON lines.") var json = false

        func validate() throws {
            if let grace, !(grace.isFinite && grace >= 0 && grace <= 86_400) {
                throw ValidationError("--grace must be a number of seconds from 0 to 86400")
            }
        }

        func run() async throws {
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
