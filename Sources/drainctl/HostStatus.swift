import ArgumentParser
import DrainClient
import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `drainctl status --all`: every live process of the run directory, asked at once.
struct HostStatus {
    var runDirectory: RunDirectory
    var json: Bool

    /// Prints every process's state, in the run directory's order.
    /// - Returns: 0 when every process answered, 2 when one did not.
    func run() async throws -> Int32 {
        let entries = try HostShutdown.liveProcesses(in: runDirectory)
        let answers = await withTaskGroup(of: (ProcessEntry, Result<PoolSnapshot, ControlError>).self) { group in
            for entry in entries {
                group.addTask {
                    do {
                        let snapshot = try await withControlDeadline(processAnswerLimit, what: entry.path) {
                            try await ControlClient.withConnection(path: entry.path) { try await $0.status() }
                        }
                        return (entry, .success(snapshot))
                    } catch let error as ControlError {
                        return (entry, .failure(error))
                    } catch {
                        return (entry, .failure(ControlError(.connectionLost, "\(error)")))
                    }
                }
            }
            var answers: [ProcessEntry: Result<PoolSnapshot, ControlError>] = [:]
            for await (entry, answer) in group { answers[entry] = answer }
            return answers
        }
        var code: Int32 = 0
        var snapshots: [PoolSnapshot] = []
        var blocks: [String] = []
        for entry in entries {
            switch answers[entry] {
            case .success(let snapshot):
                snapshots.append(snapshot)
                blocks.append(SnapshotText.render(snapshot))
            case .failure(let error):
                code = ExitCodes.connectionLost
                printError("\(HostShutdown.tag(entry)) did not answer: \(error.message)")
            case nil:
                code = ExitCodes.connectionLost
            }
        }
        if json {
            emit(String(decoding: try JSONEncoder.drain.encode(snapshots), as: UTF8.self))
        } else if !blocks.isEmpty {
            emit(blocks.joined(separator: "\n\n"))
        }
        return code
    }
}
