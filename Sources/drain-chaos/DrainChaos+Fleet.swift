import ArgumentParser
import DrainLocalPostgres
import DrainProtocol
import Foundation

extension DrainChaos {
    /// `drain-chaos fleet`: several drain-demos on one private PostgreSQL, and chaos among them.
    struct Fleet: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run drain-demos as a fleet on one private PostgreSQL, with chaos, and check nothing was lost.",
            discussion: """
                Starts a private PostgreSQL (initdb into a temporary directory; as root, run as the postgres \
                user). Each iteration starts --workers drain-demos on a schema of its own (all but one \
                producing), then at a random moment sends one of them SIGTERM, two SIGTERMs, SIGKILL or a \
                socket shutdown with a random grace, or restarts PostgreSQL under all of them; a new worker \
                replaces a stopped one, the rest are stopped, a last worker empties the queue (dead workers' \
                jobs come back after their lease), and the merged --record files are checked: every accepted \
                job done or failed, no claim handed to two workers.

                Example: drain-chaos fleet --iterations 200 --seed 1
                """
        )

        @Option(help: "How many iterations to run.") var iterations = 200
        @Option(help: "Seed for every random choice (default: random, printed).") var seed: UInt64?
        @Option(help: "The index of the first iteration, to replay one from an earlier run.") var firstIteration = 0
        @Option(help: "drain-demos in the fleet (at least 3).") var workers = 3
        @Option(help: "The workers' lease in seconds: how soon a killed worker's jobs are rescued.") var lease = 2.0
        @Option(help: "The drain-demo binary (default: next to drain-chaos).") var demo: String?
        @Option(help: "Where iterations keep records (default: a new /tmp/drain-fleet-XXXXXX).") var workDir: String?
        @Flag(help: "Print the report as JSON instead of text.") var json = false
        @Flag(help: "No progress lines on stderr.") var quiet = false

        func validate() throws {
            guard (1...100_000).contains(iterations) else { throw ValidationError("--iterations must be 1 to 100000") }
            guard (3...16).contains(workers) else { throw ValidationError("--workers must be 3 to 16") }
            guard lease >= 0.5, lease <= 60 else { throw ValidationError("--lease must be 0.5 to 60 seconds") }
        }

        func run() async throws {
            let trap = InterruptTrap()
            defer { DemoProcess.killAll() }
            let seed = self.seed ?? UInt64.random(in: 0...UInt64.max)
            let demoPath = demo ?? Run.siblingDemo()
            guard access(demoPath, X_OK) == 0 else {
                DrainChaos.printError("no drain-demo at \(demoPath) (build it, or pass --demo)")
                throw ExitCode(DrainChaos.harnessFailure)
            }
            let server: LocalPostgres
            do {
                server = try await LocalPostgres.start()
            } catch {
                DrainChaos.printError("cannot start PostgreSQL: \(error)")
                throw ExitCode(DrainChaos.harnessFailure)
            }
            defer { server.stop() }
            let work = try workDir ?? Self.temporaryDirectory()
            let runDirectory = "\(work)/run"
            try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
            chmod(runDirectory, 0o700)
            let runner = FleetRunner(
                demo: demoPath, server: server, workDirectory: work, runDirectory: runDirectory, workers: workers,
                lease: lease, emptyLimit: .seconds(lease * 3 + 20))
            progress("seed \(seed), \(iterations) iterations of \(workers) workers, work dir \(work)")
            var report = FleetReport(seed: seed, workers: workers)
            let clock = ContinuousClock()
            let started = clock.now
            for iteration in firstIteration..<(firstIteration + iterations) {
                let result: FleetRunner.Result
                do {
                    result = try await runner.run(iteration: iteration, seed: seed)
                } catch {
                    DrainChaos.printError("iteration \(iteration): \(error)")
                    throw ExitCode(DrainChaos.harnessFailure)
                }
                report.add(result, iteration: iteration)
                if result.passed {
                    try? FileManager.default.removeItem(atPath: result.directory)
                } else {
                    progress(
                        "iteration \(iteration) [\(result.action)] FAILED: \(report.problems.last ?? "") (\(result.directory))"
                    )
                }
                if report.iterations % max(1, iterations / 20) == 0 {
                    progress("\(report.iterations)/\(iterations): \(report.accepted) accepted, \(report.lost) lost")
                }
            }
            report.seconds = (clock.now - started).seconds
            print(json ? report.json : report.text)
            withExtendedLifetime(trap) {}
            if !report.passed { throw ExitCode(1) }
        }

        private func progress(_ line: String) {
            if !quiet { FileHandle.standardError.write(Data("drain-chaos: \(line)\n".utf8)) }
        }

        private static func temporaryDirectory() throws -> String {
            var template = Array("/tmp/drain-fleet-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else {
                throw ChaosError(.invalidInput, "cannot create a work directory in /tmp")
            }
            return String(cString: made)
        }
    }
}

/// The totals of a fleet run.
struct FleetReport: Sendable, Encodable {
    var seed: UInt64
    var workers: Int
    var iterations = 0
    var failedIterations: [Int] = []
    var actions: [String: Int] = [:]
    var accepted = 0
    var finished = 0
    var lost = 0
    var doubleClaims = 0
    var reruns = 0
    var seconds = 0.0
    var problems: [String] = []

    var passed: Bool { failedIterations.isEmpty }

    mutating func add(_ result: FleetRunner.Result, iteration: Int) {
        iterations += 1
        actions[result.action.kind, default: 0] += 1
        accepted += result.verdict.accepted
        finished += result.verdict.finished
        lost += result.verdict.lost.count
        doubleClaims += result.verdict.doubleClaims.count
        reruns += result.verdict.reruns
        if !result.passed {
            failedIterations.append(iteration)
            problems.append(
                "iteration \(iteration) [\(result.action)]: "
                    + (result.problem ?? "lost \(result.verdict.lost), double claims \(result.verdict.doubleClaims)"))
        }
    }

    var text: String {
        var lines = [
            "fleet chaos: \(iterations) iterations of \(workers) drain-demos on one PostgreSQL, seed \(seed), "
                + DurationFormat.fixed(seconds, places: 0) + " s",
            "actions: " + actions.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
            "jobs: \(accepted) accepted, \(finished) finished, \(lost) lost, \(doubleClaims) claimed twice, "
                + "\(reruns) ran again (at least once)",
            passed ? "PASSED" : "FAILED: iterations \(failedIterations)",
        ]
        lines += problems
        return lines.joined(separator: "\n")
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
