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
            let entry = try target.select(probe: false)
            // One blocking connection and one round trip: no reader thread, no task group, no timer task.
            let snapshot = try await reportingFailures {
                try ControlConnection(path: entry.path).status(timeout: .seconds(5))
            }
            if json {
                emit(String(decoding: try JSONEncoder.drain.encode(snapshot), as: UTF8.self))
            } else {
                emit(SnapshotText.render(snapshot))
            }
        }
    }
}
