import ArgumentParser
import DrainClient
import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension Drainctl {
    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stream a process's events until it stops.",
            discussion:
                "Starts with the recent events, then follows live ones. Exits 0 when the process stops, 2 if the connection is lost first.\n\nExamples:\n  drainctl events\n  drainctl events --json | jq .message"
        )

        @OptionGroup var target: TargetOptions
        @Flag(help: "One JSON object per line.") var json = false

        func run() async throws {
            let entry = try target.select()
            let stopped = try await reportingFailures {
                try await ControlClient.withConnection(path: entry.path) { client in
                    try await client.subscribe(intervalMs: 1000)
                    var lastSeq = 0
                    while let message = try await client.next() {
                        var events: [DrainEvent] = []
                        if message.type == .snapshot, let snapshot = message.snapshot {
                            events = snapshot.recentEvents
                        } else if let event = message.event {
                            events = [event]
                        }
                        for event in events where event.seq > lastSeq {
                            lastSeq = event.seq
                            if json {
                                emit(String(decoding: try JSONEncoder.drain.encode(event), as: UTF8.self))
                            } else {
                                emit(SnapshotText.render(event))
                            }
                            if event.kind == .stopped { return true }
                        }
                    }
                    return false
                }
            }
            if !stopped {
                printError("the connection to \(entry.name) (pid \(entry.pid)) was lost before it stopped")
                throw ExitCode(ExitCodes.connectionLost)
            }
        }
    }
}
