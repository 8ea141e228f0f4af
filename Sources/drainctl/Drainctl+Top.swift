import ArgumentParser
import DrainClient
import DrainDashboard
import DrainFleet
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
    struct Top: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The live dashboard: phase, deadline, drain progress, jobs and events.",
            discussion: """
                Keys: q quit · s start a shutdown (asks the grace, confirms) · + / - move the deadline by \
                10 s while draining · ↑ ↓ j k scroll the jobs · tab next process · p process list · ? help.
                With several processes in the run directory and no --socket (or with --all), it opens the \
                overview: one row per process with its phase, countdown, drain progress and ETA, the totals \
                and every process's events; ↑ ↓ select, Enter opens one, Esc comes back, s drains the \
                selected one. NO_COLOR turns colours off; a locale that is not UTF-8 (LANG=C) draws in \
                ASCII; a terminal that cannot move the cursor (TERM=dumb) is refused with exit 3.

                --postgres URL (or DRAIN_POSTGRES_URL) shows every worker of the fleet from its shared \
                journal instead, with its host: lost workers with their jobs waiting for rescue, hand-offs \
                between workers. It only watches: the fleet has no remote shutdown, each host drains its own.

                Exit codes: 0 after q; 130, 143, 129 after SIGINT, SIGTERM, SIGHUP (the terminal is \
                restored in every case); 2 when the watched socket does not speak the control protocol \
                (after restoring the terminal); 3 when there is no process to watch, or when stdin or \
                stdout is not a terminal (use `drainctl status` or `drainctl events` there).

                Examples:
                  drainctl top
                  drainctl top --socket /tmp/drainctl-1000/shop.4242.sock
                  drainctl top --all
                  drainctl top --postgres postgres://drain@db/jobs
                  NO_COLOR=1 drainctl top
                """
        )

        @OptionGroup var target: TargetOptions
        @Flag(help: "Open the overview of every process, even when there is only one.") var all = false
        @OptionGroup var fleet: FleetOptions

        func validate() throws {
            if all, target.socket != nil { throw ValidationError("--all and --socket exclude each other") }
        }

        func run() async throws {
            if let url = try fleet.url(orEnvironment: true) {
                let configuration = DashboardConfiguration(runDirectory: target.runDirectory)
                let summary: DashboardSummary
                do {
                    summary = try await FleetDashboard.run(url: url, configuration: configuration)
                } catch let error as FleetError {
                    printError(error.message)
                    throw ExitCode(ExitCodes.connectionLost)
                } catch let error as DashboardError {
                    printError(error.message)
                    throw ExitCode(ExitCodes.noProcess)
                }
                Self.print(summary.lines)
                if summary.exitCode != 0 { throw ExitCode(summary.exitCode) }
                return
            }
            var configuration = DashboardConfiguration(runDirectory: target.runDirectory, socket: target.socket)
            configuration.overview = all
            let summary = try await Self.show(configuration)
            Self.print(summary.lines)
            if summary.exitCode != 0 { throw ExitCode(summary.exitCode) }
        }

        /// Runs the dashboard, mapping its errors to exit codes; shared with `demo`.
        static func show(_ configuration: DashboardConfiguration) async throws -> DashboardSummary {
            do {
                return try await Dashboard.run(configuration)
            } catch let error as DashboardError {
                printError(error.message)
                throw ExitCode(ExitCodes.noProcess)
            } catch let error as ControlError {
                throw ExitCodes.from(error)
            }
        }

        /// Prints lines with plain `write(2)`: after SIGHUP the terminal may be gone, and a failed write
        /// must not turn a clean exit into a crash.
        static func print(_ lines: [String]) {
            for line in lines {
                var text = line + "\n"
                text.withUTF8 { bytes in _ = write(STDOUT_FILENO, bytes.baseAddress, bytes.count) }
            }
        }
    }
}
