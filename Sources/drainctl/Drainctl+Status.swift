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
            discussion: "Examples:\n  drainctl status\n  drainctl status --json --socket /tmp/drainctl-0/shop.4242.sock"
        )

        @OptionGroup var target: TargetOptions
        @Flag(help: "Print the snapshot as JSON (snake_case keys).") var json = false

        func run() async throws {
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
