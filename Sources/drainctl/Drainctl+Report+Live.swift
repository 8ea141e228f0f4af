import ArgumentParser
import DrainClient
import DrainProtocol

extension Drainctl.Report {
    /// How long a running process may take to read its history: a journal read, perhaps of a database
    /// across the network, on a host that may be busy draining. Waiting longer only hides a wedged server.
    static let liveTimeout: Duration = .seconds(30)

    /// The process to ask: `--socket`, else the one process of the run directory; when there is none, the
    /// message also names the other places a history can be read from.
    func liveProcess() throws -> ProcessEntry {
        do {
            return try ProcessSelector.select(socket: target.socket, runDirectory: target.runDirectory, probe: false)
        } catch let error as ControlError where error.code == .notFound && target.socket == nil {
            printError(error.message + "; or read a journal file with --journal PATH, a fleet's with --postgres URL")
            throw ExitCode(ExitCodes.noProcess)
        } catch let error as ControlError {
            throw ExitCodes.from(error)
        }
    }

    /// The history of a running process, asked over its control socket (`history`, docs/PROTOCOL.md): the
    /// same list, timeline, SVG and JSON as from its journal file.
    func live(_ process: ProcessEntry) throws {
        let who = process.pid > 0 ? "\(process.name) (pid \(process.pid))" : "the process at \(process.path)"
        do {
            let connection = try ControlConnection(path: process.path)
            defer { connection.close() }
            guard id != nil || last else {
                try list(try connection.history(limit: limit, timeout: Self.liveTimeout))
                return
            }
            // `--last` is the newest of a list of one; an ID is asked for by itself.
            let drains = try connection.history(drainID: last ? nil : id, limit: 1, timeout: Self.liveTimeout)
            guard let entry = drains.first else {
                printError("\(who) has kept no drain yet (`drainctl report` lists the drains kept)")
                throw ExitCode(ExitCode.validationFailure.rawValue)
            }
            try draw(entry)
        } catch let error as ControlError {
            throw Self.exit(for: error, who: who, drain: id)
        }
    }

    /// The message and exit code for a failed `history`: the server's codes, read as the journal file's
    /// failures read (no such drain 64, no history or an unreadable journal 3); a server too old for the
    /// operation 4, like any request a server refuses; the rest as every command has them.
    static func exit(for error: ControlError, who: String, drain: Int64?) -> ExitCode {
        // The server's own words, without the code that `ControlConnection` puts before them.
        let said = error.serverCode.map { String(error.message.dropFirst($0.count + 2)) } ?? error.message
        switch error.serverCode {
        case WireErrorCode.unknownOperation.rawValue?:
            printError(
                "\(who) is too old to serve its drain history over its control socket (it answered "
                    + "unknown_operation); read its journal instead: drainctl report --journal PATH")
            return ExitCode(ExitCodes.refused)
        case WireErrorCode.notFound.rawValue?:
            printError(
                "no drain \(drain.map(String.init) ?? "") in the history of \(who) (never kept, or pruned; "
                    + "`drainctl report` lists those kept)")
            return ExitCode(ExitCode.validationFailure.rawValue)
        case WireErrorCode.noHistory.rawValue?, WireErrorCode.journalFailed.rawValue?:
            printError("\(who): \(said)")
            return ExitCode(ExitCodes.noProcess)
        default:
            return ExitCodes.from(error)
        }
    }
}
