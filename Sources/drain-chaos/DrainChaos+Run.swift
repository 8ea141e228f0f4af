import ArgumentParser
import Drain
import DrainProtocol
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension DrainChaos {
    /// `drain-chaos run` (the default): the chaos loop and its report.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the chaos iterations and report (the default command).",
            discussion: """
                Each iteration starts drain-demo under load on a fresh journal, at a random moment sends \
                SIGTERM, two SIGTERMs, SIGKILL, a control-socket shutdown with a random grace, or a shutdown \
                whose deadline is then moved; restarts it on the same journal, drains it to the end, and \
                checks the handler's record. Passing iterations' directories are removed unless --keep.

                Examples:
                  drain-chaos --iterations 1000 --seed 1
                  drain-chaos --iterations 10 --seed 7 --json --work-dir /tmp/chaos
                  drain-chaos --seed 7 --first-iteration 42 --iterations 1 --keep   # replay iteration 42
                """
        )

        @Option(help: "How many iterations to run.") var iterations = 1000
        @Option(help: "Seed for every random choice (default: random, printed).") var seed: UInt64?
        @Option(help: "The index of the first iteration, to replay one from an earlier run.") var firstIteration = 0
        @Option(help: "The drain-demo binary (default: next to drain-chaos).") var demo: String?
        @Option(help: "The private run directory for control sockets (default: <work dir>/run).") var runDir: String?
        @Option(help: "Where iterations keep journals and records (default: a new /tmp/drain-chaos-XXXXXX).")
        var workDir: String?
        @Flag(help: "Keep every iteration's directory, not only the failed ones.") var keep = false
        @Flag(help: "Print the report as JSON (snake_case keys) instead of text.") var json = false
        @Option(help: "Also write the JSON report to this file.") var report: String?
        @Flag(help: "No progress lines on stderr.") var quiet = false

        func validate() throws {
            guard (1...1_000_000).contains(iterations) else {
                throw ValidationError("--iterations must be 1 to 1000000")
            }
            guard firstIteration >= 0 else { throw ValidationError("--first-iteration must be 0 or more") }
            // The socket is <run dir>/chaos.<pid>.sock, and a Unix socket path holds at most 107 bytes.
            if let runDir, runDir.isEmpty || runDir.utf8.count > 80 {
                throw ValidationError("--run-dir must be a path of 1 to 80 bytes (Unix socket paths are short)")
            }
            if let workDir, workDir.isEmpty { throw ValidationError("--work-dir must not be empty") }
            if let demo, demo.isEmpty { throw ValidationError("--demo must not be empty") }
        }

        func run() async throws {
            let trap = InterruptTrap()
            defer { DemoProcess.killAll() }
            let seed = self.seed ?? UInt64.random(in: 0...UInt64.max)
            let runner: IterationRunner
            let createdWorkDir: Bool
            do {
                (runner, createdWorkDir) = try prepare()
            } catch let error as ChaosError {
                DrainChaos.printError(error.message)
                throw ExitCode(DrainChaos.harnessFailure)
            }
            progress("seed \(seed), \(iterations) iterations, work dir \(runner.workDirectory)")

            var totals = ChaosReport(seed: seed, firstIteration: firstIteration)
            let clock = ContinuousClock()
            let started = clock.now
            let every = max(1, iterations / 20)
            for iteration in firstIteration..<(firstIteration + iterations) {
                let result: IterationResult
                do {
                    result = try await runner.run(IterationPlan(seed: seed, iteration: iteration))
                } catch let error as ChaosError {
                    DrainChaos.printError("iteration \(iteration): \(error.message)")
                    throw ExitCode(DrainChaos.harnessFailure)
                }
                totals.add(result)
                if result.passed, !keep { try? FileManager.default.removeItem(atPath: result.directory) }
                if !result.passed {
                    progress("iteration \(iteration) [\(result.plan.action.summary)] FAILED: \(result.directory)")
                } else if totals.iterations % every == 0 {
                    let elapsed = (clock.now - started).seconds
                    progress(
                        "\(totals.iterations)/\(iterations) "
                            + DurationFormat.fixed(elapsed / Double(totals.iterations), places: 2) + "s per iteration, "
                            + "\(totals.jobs.accepted) accepted, \(totals.jobs.lost) lost"
                    )
                }
            }
            totals.seconds = (clock.now - started).seconds
            totals.secondsPerIteration = totals.seconds / Double(max(1, totals.iterations))

            let data = try JSONEncoder.drain.encode(totals)
            if let report {
                do {
                    try data.write(to: URL(fileURLWithPath: report), options: .atomic)
                } catch {
                    DrainChaos.printError("cannot write the report to \(report): \(error.localizedDescription)")
                    throw ExitCode(DrainChaos.harnessFailure)
                }
            }
            print(json ? String(decoding: data, as: UTF8.self) : totals.text)
            if totals.passed, createdWorkDir, !keep {
                try? FileManager.default.removeItem(atPath: runner.workDirectory)
            } else if !totals.passed || keep {
                progress("kept \(runner.workDirectory)")
            }
            withExtendedLifetime(trap) {}
            if !totals.passed { throw ExitCode(1) }
        }

        /// Finds the demo and creates the work and run directories.
        private func prepare() throws -> (IterationRunner, createdWorkDir: Bool) {
            let demoPath = demo ?? Self.siblingDemo()
            guard access(demoPath, X_OK) == 0 else {
                throw ChaosError(
                    .invalidInput,
                    "no executable drain-demo at \(demoPath); build it (swift build --product drain-demo) or pass --demo PATH"
                )
            }
            let work: String
            if let workDir {
                guard mkdir(workDir, 0o700) == 0 || errno == EEXIST else {
                    throw ChaosError(
                        .invalidInput, "cannot create --work-dir \(workDir): \(String(cString: strerror(errno)))")
                }
                work = workDir
            } else {
                var template = Array("/tmp/drain-chaos-XXXXXX".utf8CString)
                guard let made = mkdtemp(&template) else {
                    throw ChaosError(
                        .invalidInput, "cannot create a work directory in /tmp: \(String(cString: strerror(errno)))")
                }
                work = String(cString: made)
            }
            let runDirectory = RunDirectory(path: runDir ?? "\(work)/run")
            do {
                try runDirectory.prepare()
            } catch let error as ControlError {
                throw ChaosError(.invalidInput, error.message)
            }
            guard runDirectory.path.utf8.count <= 80 else {
                throw ChaosError(
                    .invalidInput,
                    "the run directory \(runDirectory.path) is too long for socket paths; pass a shorter --run-dir")
            }
            let runner = IterationRunner(demo: demoPath, runDirectory: runDirectory.path, workDirectory: work)
            return (runner, workDir == nil)
        }

        /// `drain-demo` in the directory this executable is in (`/proc/self/exe`, so a symlink or a relative
        /// `argv[0]` does not matter).
        static func siblingDemo() -> String {
            let executable =
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0]
            return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("drain-demo")
                .path
        }

        private func progress(_ line: String) {
            guard !quiet else { return }
            FileHandle.standardError.write(Data("drain-chaos: \(line)\n".utf8))
        }
    }
}
