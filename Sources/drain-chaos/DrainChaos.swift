import ArgumentParser
import Foundation

/// `drain-chaos`: kills `drain-demo` under load in every way the product promises to survive, restarts it
/// on the same journal, and checks the job handler's own record that no accepted job was lost.
@main
struct DrainChaos: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain-chaos",
        abstract: "Kill drain-demo under load, restart it, and prove that no accepted job was lost.",
        discussion: """
            Exit codes: 0 nothing lost and no unexplained duplicate; 1 a job was lost, ran twice without \
            being forced or killed, or the run had another problem (all listed); 2 the harness could not \
            run (no drain-demo, unreadable record); 64 bad arguments.
            """,
        subcommands: [Run.self, Verify.self, Calibrate.self, Fleet.self, FleetBench.self],
        defaultSubcommand: Run.self
    )

    /// Exit code 2: the harness itself could not do its work.
    static let harnessFailure: Int32 = 2

    /// Prints `drain-chaos: <message>` to stderr.
    static func printError(_ message: String) {
        FileHandle.standardError.write(Data("drain-chaos: \(message)\n".utf8))
    }
}
