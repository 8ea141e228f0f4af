import ArgumentParser
import DrainClient
import DrainDashboard
import DrainSpawn

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

extension Drainctl {
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a demo service and watch it in `top`.",
            discussion: """
                Starts drain-demo (found next to drainctl) in a private temporary run directory with its own \
                journal, and opens `top` on it. Press s and accept the 15 s grace: short jobs finish, long \
                ones are requeued. q ends the demo service too (SIGTERM, then forced, then SIGKILL).

                Exit codes: as `top`; 1 when drain-demo cannot be found or started.

                Examples:
                  drainctl demo
                  drainctl demo --rate 6 --grace 20
                """
        )

        @Option(help: "New jobs per second.") var rate = DemoService.Workload().rate
        @Option(help: "Jobs running at once.") var concurrency = DemoService.Workload().concurrency
        @Option(help: "Multiply every job's duration by this factor.") var durationScale = DemoService.Workload()
            .durationScale
        @Option(parsing: .unconditional, help: "Seconds of grace the demo uses, and the shutdown dialogue proposes.")
        var grace =
            DemoService.Workload().grace

        func validate() throws {
            guard rate > 0, rate.isFinite, rate <= 1000 else {
                throw ValidationError("--rate must be above 0 and at most 1000")
            }
            guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
            guard durationScale > 0, durationScale.isFinite else {
                throw ValidationError("--duration-scale must be above 0")
            }
            guard grace >= 0, grace <= 86_400 else { throw ValidationError("--grace must be 0 to 86400 seconds") }
        }

        func run() async throws {
            // Checked before anything starts, so a pipe gets the error and no orphaned service.
            guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
                printError(
                    "demo opens `top`, which needs a terminal; start `drain-demo` yourself and use `drainctl status` or `drainctl events`"
                )
                throw ExitCode(ExitCodes.noProcess)
            }
            var workload = DemoService.Workload()
            workload.rate = rate
            workload.concurrency = concurrency
            workload.durationScale = durationScale
            workload.grace = grace
            let service: DemoService
            do {
                service = try await DemoService.start(executable: DemoService.locate(), workload: workload)
            } catch {
                printError(error.message)
                throw ExitCode.failure
            }
            let configuration = DashboardConfiguration(
                runDirectory: service.runDirectory, socket: service.socket, suggestedGrace: grace
            )
            let outcome: Result<DashboardSummary, any Error>
            do { outcome = .success(try await Top.show(configuration)) } catch { outcome = .failure(error) }
            // The service is stopped before anything is printed: printing may fail if the terminal is gone.
            if service.child.exitCode == nil {
                Top.print(["drainctl demo: stopping drain-demo (pid \(service.child.pid))…"])
            }
            let code = await service.stop()
            let summary = try outcome.get()
            Top.print(
                summary.lines + [
                    "drainctl demo: drain-demo (pid \(service.child.pid)) exited with \(code); its files are removed"
                ])
            if summary.exitCode != 0 { throw ExitCode(summary.exitCode) }
        }
    }
}
