import ArgumentParser
import Drain
import Foundation

extension DrainChaos {
    /// `drain-chaos verify --record FILE`: the verifier alone, on any record.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check one record file (as left in a failed iteration's directory) and print the verdict.",
            discussion: """
                Lines: process <n> load|final, exit <n> clean|forced|killed|crashed, accepted <id>, \
                start <id> <attempt>, done <id>, failed <id>. Exits 0 when it passes, 1 when it does not, \
                2 when the file cannot be read or a line does not parse.
                """
        )

        @Option(help: "The record file to check.") var record: String
        @Flag(help: "Print the verdict as JSON (snake_case keys).") var json = false

        func run() throws {
            let verdict: Verdict
            do {
                guard let text = try? String(contentsOfFile: record, encoding: .utf8) else {
                    throw ChaosError(.invalidInput, "cannot read the record \(record)")
                }
                verdict = RecordVerifier.verify(try ChaosRecord(parsing: text))
            } catch let error as ChaosError {
                DrainChaos.printError(error.message)
                throw ExitCode(DrainChaos.harnessFailure)
            }
            if json {
                print(String(decoding: try JSONEncoder.drain.encode(verdict), as: UTF8.self))
            } else {
                print(Self.text(verdict))
            }
            if !verdict.passed { throw ExitCode(1) }
        }

        private static func text(_ verdict: Verdict) -> String {
            var lines = [
                "processes \(verdict.processes)  accepted \(verdict.accepted)  unacknowledged \(verdict.unacknowledged)  runs \(verdict.runs)",
                "completed \(verdict.completed)  failed \(verdict.failed)  requeued \(verdict.requeued)  recovered \(verdict.recovered)",
                "duplicated \(verdict.duplicated) (\(verdict.duplicatedAllowed) allowed, \(verdict.duplicatedUnexplained) unexplained)  lost \(verdict.lost)",
            ]
            lines += verdict.findings.map { "  \($0.kind.rawValue): \($0.detail)" }
            lines.append(verdict.passed ? "PASS" : "FAIL: \(verdict.findings.count) findings")
            return lines.joined(separator: "\n")
        }
    }
}
