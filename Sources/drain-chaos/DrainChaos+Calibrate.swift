import ArgumentParser
import Drain
import DrainProtocol
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension DrainChaos {
    /// `drain-chaos calibrate`: how far the drain predictions can be trusted, measured on drain-demo.
    struct Calibrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure the drain predictions against many real drains of drain-demo.",
            discussion: """
                Each drain starts drain-demo (heavy-tailed work), lets it warm up, drains it with a random \
                grace (every --planner-every-th drain: the planner's suggested grace), reads the predictions \
                --sample-after seconds into the drain and matches them with the shutdown report. Prints \
                recall and precision of "likely to miss" (P ≥ 0.5), the Brier score, the error of the \
                expected count, how often the end fell inside the ETA's p50–p90, a reliability table, and \
                the same for the previous rule and a naive baseline; writes reliability.svg.

                By default each drain starts on a journal holding the finished jobs of the drains before it \
                (not their backlog), as a service restarted again and again would, so the history kept in \
                the journal is part of what is measured; --fresh-journal starts each drain from nothing.

                Examples:
                  drain-chaos calibrate --drains 60 --seed 1 --out /tmp/calibration
                  drain-chaos calibrate --drains 3 --warm-up 2 --graces 1-2 --json
                  drain-chaos calibrate --all-conditions --drains 60 --planner-every 2 --seed 1 --out /tmp/cal
                  drain-chaos calibrate --rescore /tmp/calibration/observations.jsonl   # score again, no drains
                  drain-chaos calibrate --rescore /tmp/cal                              # all four again
                """
        )

        @Option(help: "How many drains.") var drains = 50
        @Option(help: "Seed for every random choice (default: random, printed).") var seed: UInt64?
        @Option(help: "Seconds of work before each drain.") var warmUp = 8.0
        @Option(help: "The range graces are drawn from, in seconds: MIN-MAX.") var graces = "3-10"
        @Option(help: "drain-demo's --duration-scale.") var durationScale = 0.5
        @Option(help: "Seconds into each drain at which the prediction is read.") var sampleAfter = 1.0
        @Option(help: "Every n-th drain uses the planner's grace (0: none).") var plannerEvery = 4
        @Option(help: "The longest planner grace used, in seconds.") var plannerCap = 60.0
        @Flag(help: "A fresh journal for every drain: no history from earlier drains.") var freshJournal = false
        @Flag(help: "The demo declares each kind's median duration, as an application may (--declare-durations).")
        var declared = false
        @Flag(
            help: """
                Run the four conditions side by side, each in its own directory under --out: A history, B fresh \
                journal, C fresh journal and durations declared, D history and declarations (seeds --seed to \
                --seed + 3); then compare each with the oracle against the targets.
                """)
        var allConditions = false
        @Option(help: "The drain-demo binary (default: next to drain-chaos).") var demo: String?
        @Option(help: "Where drains, observations.jsonl, report.json and reliability.svg go (default: new in /tmp).")
        var out: String?
        @Option(help: "Score the observations.jsonl of an earlier run instead of running drains.") var rescore: String?
        @Flag(help: "Print the report as JSON (snake_case keys) instead of text.") var json = false
        @Flag(help: "No progress lines on stderr.") var quiet = false

        func validate() throws {
            guard (1...100_000).contains(drains) else { throw ValidationError("--drains must be 1 to 100000") }
            guard parsedGraces != nil else {
                throw ValidationError("--graces must be MIN-MAX in seconds, 0 < MIN ≤ MAX ≤ 3600 (e.g. 3-10)")
            }
            guard warmUp >= 0, warmUp <= 3600 else { throw ValidationError("--warm-up must be 0 to 3600 seconds") }
            guard durationScale > 0, durationScale.isFinite else {
                throw ValidationError("--duration-scale must be above 0")
            }
            guard sampleAfter >= 0, sampleAfter <= 60 else {
                throw ValidationError("--sample-after must be 0 to 60 seconds")
            }
            guard plannerEvery >= 0 else { throw ValidationError("--planner-every must be 0 or more") }
            guard plannerCap > 0, plannerCap <= 86_400 else {
                throw ValidationError("--planner-cap must be above 0 and at most 86400")
            }
            if let out, out.isEmpty { throw ValidationError("--out must not be empty") }
            if allConditions, freshJournal || declared {
                throw ValidationError("--all-conditions runs every condition; drop --fresh-journal and --declared")
            }
        }

        private var parsedGraces: ClosedRange<Double>? {
            let parts = graces.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, let low = Double(parts[0]), let high = Double(parts[1]), low > 0, low <= high,
                high <= 3600
            else { return nil }
            return low...high
        }

        func run() async throws {
            if let rescore { return try score(observationsAt: rescore) }
            let trap = InterruptTrap()
            defer { DemoProcess.killAll() }
            let seed = self.seed ?? UInt64.random(in: 0...UInt64.max)
            guard allConditions else {
                let runner = try prepareOrExit(out: out, keepHistory: !freshJournal, declared: declared)
                defer { try? FileManager.default.removeItem(atPath: runner.settings.runDirectory) }
                let report = try await drive(runner, seed: seed, label: nil)
                print(
                    json
                        ? String(decoding: try JSONEncoder.drain.encode(report), as: UTF8.self)
                        : report.text + "\n\nwritten: \(runner.settings.workDirectory)/reliability.svg")
                return withExtendedLifetime(trap) {}
            }
            // The four conditions side by side: their drains are mostly waiting, so running them at once
            // costs little accuracy and a quarter of the time.
            // The base runner only makes the output directory; its own run directory is not used.
            let baseRunner = try prepareOrExit(out: out, keepHistory: true, declared: false)
            try? FileManager.default.removeItem(atPath: baseRunner.settings.runDirectory)
            let base = baseRunner.settings.workDirectory
            var runners: [(CalibrationCondition, CalibrationRunner)] = []
            for condition in CalibrationCondition.allCases {
                runners.append(
                    (
                        condition,
                        try prepareOrExit(
                            out: "\(base)/\(condition.rawValue)", keepHistory: condition.keepHistory,
                            declared: condition.declared)
                    ))
            }
            defer {
                for (_, runner) in runners { try? FileManager.default.removeItem(atPath: runner.settings.runDirectory) }
            }
            let rows = try await withThrowingTaskGroup(of: CalibrationComparison.Row.self) { group in
                for (condition, runner) in runners {
                    group.addTask {
                        let report = try await drive(
                            runner, seed: condition.seed(base: seed), label: condition.rawValue)
                        return .init(condition: condition, report: report)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }.sorted {
                    $0.condition.rawValue < $1.condition.rawValue
                }
            }
            try finish(CalibrationComparison(rows: rows), in: base)
            withExtendedLifetime(trap) {}
        }

        /// Prints the comparison and writes it as comparison.json.
        private func finish(_ comparison: CalibrationComparison, in directory: String) throws {
            let data = try JSONEncoder.drain.encode(comparison)
            do {
                try data.write(to: URL(fileURLWithPath: "\(directory)/comparison.json"), options: .atomic)
            } catch {
                DrainChaos.printError("cannot write \(directory)/comparison.json: \(error.localizedDescription)")
                throw ExitCode(DrainChaos.harnessFailure)
            }
            if json {
                print(String(decoding: data, as: UTF8.self))
            } else {
                for row in comparison.rows {
                    print("\(row.condition.rawValue): \(row.condition.summary), seed \(row.report.seed)")
                    print(row.report.text)
                    print("")
                }
                print(comparison.text + "\n\nwritten: \(directory)/comparison.json and each condition's directory")
            }
        }

        /// Runs one condition's drains, writing observations.jsonl as they come, then report.json and
        /// reliability.svg.
        private func drive(_ runner: CalibrationRunner, seed: UInt64, label: String?) async throws -> CalibrationReport
        {
            let work = runner.settings.workDirectory
            let prefix = label.map { "\($0): " } ?? ""
            progress("\(prefix)seed \(seed), \(drains) drains, output in \(work)")
            let clock = ContinuousClock()
            let started = clock.now
            var observations: [DrainObservation] = []
            let lines = FileManager.default.createFile(atPath: "\(work)/observations.jsonl", contents: nil)
            let log = lines ? FileHandle(forWritingAtPath: "\(work)/observations.jsonl") : nil
            for index in 0..<drains {
                let observation: DrainObservation
                do {
                    observation = try await runner.run(index: index, seed: seed)
                } catch let error as ChaosError {
                    DrainChaos.printError("\(prefix)drain \(index): \(error.message)")
                    throw ExitCode(DrainChaos.harnessFailure)
                } catch let error as ControlError {
                    DrainChaos.printError("\(prefix)drain \(index): \(error.message)")
                    throw ExitCode(DrainChaos.harnessFailure)
                }
                observations.append(observation)
                if let line = try? JSONEncoder.drain.encode(observation) { log?.write(line + Data("\n".utf8)) }
                progress(
                    "\(prefix)drain \(index + 1)/\(drains): grace \(String(format: "%.1f", observation.graceSeconds))s"
                        + "\(observation.planned ? " (planner)" : ""), \(observation.outcome.rawValue), "
                        + "expected \(String(format: "%.1f", observation.expectedMisses ?? 0)) missed "
                        + "\(observation.actualMisses)")
            }
            try? log?.close()
            let report = CalibrationReport(seed: seed, drains: observations, seconds: (clock.now - started).seconds)
            do {
                try JSONEncoder.drain.encode(report).write(
                    to: URL(fileURLWithPath: "\(work)/report.json"), options: .atomic)
                try Data(ReliabilityPlot.draw(report.scores).rendered.utf8)
                    .write(to: URL(fileURLWithPath: "\(work)/reliability.svg"), options: .atomic)
            } catch {
                DrainChaos.printError("cannot write the results to \(work): \(error.localizedDescription)")
                throw ExitCode(DrainChaos.harnessFailure)
            }
            return report
        }

        /// Scores an earlier run's observations again, writing the report and the plot next to them.
        private func score(observationsAt path: String) throws {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                var rows: [CalibrationComparison.Row] = []
                for condition in CalibrationCondition.allCases {
                    let file = "\(path)/\(condition.rawValue)/observations.jsonl"
                    guard FileManager.default.fileExists(atPath: file) else { continue }
                    rows.append(.init(condition: condition, report: try rescored(file)))
                }
                guard !rows.isEmpty else {
                    DrainChaos.printError("\(path) holds no A–D/observations.jsonl of an --all-conditions run")
                    throw ExitCode(DrainChaos.harnessFailure)
                }
                return try finish(CalibrationComparison(rows: rows), in: path)
            }
            let report = try rescored(path)
            print(json ? String(decoding: try JSONEncoder.drain.encode(report), as: UTF8.self) : report.text)
        }

        /// Reads and scores one observations.jsonl, writing report.json and reliability.svg next to it.
        private func rescored(_ path: String) throws -> CalibrationReport {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                DrainChaos.printError("cannot read \(path)")
                throw ExitCode(DrainChaos.harnessFailure)
            }
            var observations: [DrainObservation] = []
            for (number, line) in text.split(separator: "\n").enumerated() {
                guard let observation = try? JSONDecoder.drain.decode(DrainObservation.self, from: Data(line.utf8))
                else {
                    DrainChaos.printError("\(path):\(number + 1): not an observation line")
                    throw ExitCode(DrainChaos.harnessFailure)
                }
                observations.append(observation)
            }
            let seed = observations.first?.runSeed ?? self.seed ?? 0
            let report = CalibrationReport(seed: seed, drains: observations, seconds: 0)
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
            do {
                try JSONEncoder.drain.encode(report).write(to: directory.appendingPathComponent("report.json"))
                try Data(ReliabilityPlot.draw(report.scores).rendered.utf8)
                    .write(to: directory.appendingPathComponent("reliability.svg"), options: .atomic)
            } catch {
                DrainChaos.printError("cannot write the results next to \(path): \(error.localizedDescription)")
                throw ExitCode(DrainChaos.harnessFailure)
            }
            return report
        }

        private func prepareOrExit(out: String?, keepHistory: Bool, declared: Bool) throws -> CalibrationRunner {
            do {
                return try prepare(out: out, keepHistory: keepHistory, declared: declared)
            } catch let error as ChaosError {
                DrainChaos.printError(error.message)
                throw ExitCode(DrainChaos.harnessFailure)
            }
        }

        private func prepare(out: String?, keepHistory: Bool, declared: Bool) throws -> CalibrationRunner {
            let demoPath = demo ?? Run.siblingDemo()
            guard access(demoPath, X_OK) == 0 else {
                throw ChaosError(
                    .invalidInput,
                    "no executable drain-demo at \(demoPath); build it (swift build --product drain-demo) or pass --demo PATH"
                )
            }
            let work: String
            if let out {
                guard mkdir(out, 0o700) == 0 || errno == EEXIST else {
                    throw ChaosError(.invalidInput, "cannot create --out \(out): \(String(cString: strerror(errno)))")
                }
                work = out
            } else {
                var template = Array("/tmp/drain-calibrate-XXXXXX".utf8CString)
                guard let made = mkdtemp(&template) else {
                    throw ChaosError(
                        .invalidInput, "cannot create a directory in /tmp: \(String(cString: strerror(errno)))")
                }
                work = String(cString: made)
            }
            // A short run directory of its own: socket paths hold at most 107 bytes.
            var template = Array("/tmp/drain-cal-run-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else {
                throw ChaosError(.invalidInput, "cannot create a run directory: \(String(cString: strerror(errno)))")
            }
            let settings = CalibrationRunner.Settings(
                demo: demoPath, runDirectory: String(cString: made), workDirectory: work, warmUp: warmUp,
                graces: parsedGraces ?? 3...10, durationScale: durationScale, sampleAfter: sampleAfter,
                plannerEvery: plannerEvery, plannerCap: plannerCap, keepHistory: keepHistory,
                declareDurations: declared)
            return CalibrationRunner(settings: settings)
        }

        private func progress(_ line: String) {
            guard !quiet else { return }
            FileHandle.standardError.write(Data("drain-chaos: \(line)\n".utf8))
        }
    }
}
