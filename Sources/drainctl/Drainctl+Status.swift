import ArgumentParser
import DrainClient
import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension Drainctl {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one process's state.",
            discussion: """
                --all shows every live process of the run directory (with --json, an array of snapshots); it \
                exits 2 when one of them does not answer.

                Examples:
                  drainctl status
                  drainctl status --json --socket /tmp/drainctl-0/shop.4242.sock
                  drainctl status --all
                """
        )

        @OptionGroup var target: TargetOptions
        @Flag(help: "Print the snapshot as JSON (snake_case keys).") var json = false
        @Flag(help: "Every process in the run directory.") var all = false

        func validate() throws {
            if all, target.socket != nil { throw ValidationError("--all and --socket exclude each other") }
        }

        func run() async throws {
            if all {
                let code = try await HostStatus(runDirectory: target.runDirectory, json: json).run()
                if code != 0 { throw ExitCode(code) }
                return
            }
            let entry = try target.select()
            let snapshot = try await reportingFailures {
                try await withControlDeadline(.seconds(5), what: entry.path) {
                    try await ControlClient.withConnection(path: entry.path) { try await $0.status() }
                }
            }
            if json {
                emit(String(decoding: try JSONEncoder.drain.encode(snapshot), as: UTF8.self))
            } else {
                emit(SnapshotText.render(snapshot))
            }
        }
    }
}
