import ArgumentParser
import DrainClient
import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `drainctl status` for one process: one blocking connection, one round trip, the snapshot printed.
///
/// ``Entry`` runs it straight from the command line for the plain forms (`status`, `--json`, `--socket
/// PATH`, `--run-dir PATH`, each at most once, `--name value` or `--name=value`), and `Status.run` runs it
/// after ArgumentParser has parsed anything else, so both give the same output and exit codes.
struct QuickStatus {
    var socket: String?
    var runDir: String?
    var json = false

    init(socket: String?, runDir: String?, json: Bool) {
        self.socket = socket
        self.runDir = runDir
        self.json = json
    }

    /// The arguments after the executable's name, when they are `status` in a plain form; nil for
    /// anything else (help, `--all`, `--postgres`, a repeated or unknown option, a value that looks like an
    /// option), which ArgumentParser then parses and answers, errors and help included.
    init?(arguments: some Collection<String>) {
        guard arguments.first == "status" else { return nil }
        // No Set or Dictionary here: each generic type the runtime instantiates at start costs a scan of
        // every protocol conformance in the executable (docs/STARTUP.md).
        var rest = arguments.dropFirst()[...]
        while let argument = rest.popFirst() {
            let name: Substring
            var value: String?
            if let equals = argument.firstIndex(of: "=") {
                name = argument[..<equals]
                value = String(argument[argument.index(after: equals)...])
            } else {
                name = argument[...]
            }
            switch name {
            case "--json":
                guard value == nil, !json else { return nil }
                json = true
            case "--socket", "--run-dir":
                if value == nil { value = rest.popFirst() }
                guard let value, !value.isEmpty, !value.hasPrefix("-") else { return nil }
                if name == "--socket" {
                    guard socket == nil else { return nil }
                    socket = value
                } else {
                    guard runDir == nil else { return nil }
                    runDir = value
                }
            default:
                return nil
            }
        }
    }

    /// Prints the snapshot (or the reason there is none) and returns the exit code: 0, or 3 when there
    /// is no process to ask, 2 when the connection fails, 4 when the server refuses.
    func run() -> Int32 {
        do {
            let entry = try TargetOptions.select(socket: socket, runDir: runDir, probe: false)
            // One blocking connection and one round trip: no reader thread, no task group, no timer task.
            let snapshot = try ControlConnection(path: entry.path).status(timeout: .seconds(5))
            if json {
                emit(String(decoding: try JSONEncoder.drain.encode(snapshot), as: UTF8.self))
            } else {
                emit(SnapshotText.render(snapshot))
            }
            return 0
        } catch let error as ControlError {
            return ExitCodes.from(error).rawValue
        } catch let code as ExitCode {
            return code.rawValue
        } catch {
            // What ArgumentParser does with an error it does not know, so both paths end alike.
            printError("\(error)")
            return ExitCode.failure.rawValue
        }
    }
}
