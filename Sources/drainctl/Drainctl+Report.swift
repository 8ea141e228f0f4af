import ArgumentParser
import DrainClient
import DrainDashboard
import DrainFleet
import DrainHistory
import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

extension Drainctl {
    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the drains a journal remembers, or draw one as a timeline.",
            discussion: """
                Without an ID, the recent drains: when, which process, outcome, time taken, jobs completed and \
                cut, and the misses forecast at the drain's start against the jobs cut. With an ID (or \
                --last), that drain as a timeline: a lane per job in flight, oldest first, the deadline and \
                its moves, the forcing and the forecast ETA range; ASCII when the locale is not UTF-8 \
                (LANG=C). --svg writes the same timeline as an SVG image; --json prints the report as the \
                protocol defines it. The history is read from a running process over its control socket \
                (the one process of the run directory, or --socket), from a journal file (--journal), or \
                from a fleet's PostgreSQL journal (--postgres: every worker's drains, named by worker, host \
                and pid); --since 2h draws the deploy of the last two hours: a lane per worker, its drain, \
                the requeued jobs it took, and where each requeued job went. Exit codes: 2 the fleet's \
                database cannot be reached, or the connection to the process was lost; 3 no process to ask, \
                or the journal cannot be read or keeps no history; 4 the process is too old to serve its \
                history; 64 bad arguments or no such drain.

                Examples:
                  drainctl report
                  drainctl report --last --socket /tmp/drainctl-0/shop.4242.sock
                  drainctl report --journal /run/drain/demo.journal.sqlite
                  drainctl report --last --journal demo.journal.sqlite
                  drainctl report 42 --journal demo.journal.sqlite --svg drain-42.svg
                  drainctl report 42 --journal demo.journal.sqlite --json
                  drainctl report --postgres postgres://drain@db/jobs?schema=drain
                  drainctl report --postgres postgres://drain@db/jobs --since 2h
                """
        )

        @Argument(help: "The drain to draw (its ID in the list).") var id: Int64?
        @Flag(help: "Draw the newest drain.") var last = false
        @OptionGroup var target: TargetOptions
        @Option(help: "The journal file (SQLite) whose history to read, instead of a running process's.")
        var journal: String?
        @Option(
            help: ArgumentHelp(
                "The fleet's shared PostgreSQL journal (postgres://user@host/db?schema=drain) whose history to read.",
                valueName: "url"))
        var postgres: String?
        @Option(
            help: ArgumentHelp(
                "With --postgres: draw the deploy of this last span (90s, 30m, 2h, 1d).", valueName: "span"))
        var since: String?
        @Option(help: "Write the timeline as SVG to this file.") var svg: String?
        @Flag(help: "Print JSON: the list, or the drain's report.") var json = false
        @Option(help: "Columns to draw in (default: the terminal's, or 80).") var width: Int?
        @Option(help: "How many drains to list.") var limit = ControlProtocol.defaultHistoryLimit

        func validate() throws {
            if journal != nil, postgres != nil { throw ValidationError("give --journal or --postgres, not both") }
            if journal != nil || postgres != nil, target.socket != nil || target.runDir != nil {
                throw ValidationError(
                    "--socket and --run-dir pick a running process to ask; --journal and --postgres read a history "
                        + "directly: give one or the other")
            }
            if let since {
                guard postgres != nil else {
                    throw ValidationError("--since draws a fleet's deploy: give --postgres URL")
                }
                guard Self.seconds(since) != nil else {
                    throw ValidationError("--since '\(since)' is not a span: a number with s, m, h or d (2h)")
                }
                if id != nil || last { throw ValidationError("--since draws a deploy: give no drain ID or --last") }
                if svg != nil { throw ValidationError("--svg draws one drain, not a deploy") }
            }
            if let postgres {
                do { _ = try FleetURL(postgres) } catch let error as FleetError { throw ValidationError(error.message) }
            }
            if id != nil, last { throw ValidationError("give a drain ID or --last, not both") }
            if let id, id < 1 { throw ValidationError("a drain ID is 1 or more, got \(id)") }
            if svg != nil, id == nil, !last { throw ValidationError("--svg draws one drain: give its ID or --last") }
            if let width, width < 1 { throw ValidationError("--width must be a positive number of columns") }
            if limit < 1 { throw ValidationError("--limit must be at least 1") }
            let most = ControlProtocol.historyLimits.upperBound
            if journal == nil, postgres == nil, limit > most {
                throw ValidationError(
                    "a running process lists at most \(most) drains at once; read its journal with --journal PATH "
                        + "for more")
            }
        }

        func run() async throws {
            if let postgres {
                try fleet(try FleetURL(postgres))
                return
            }
            guard let journal else {
                try live(try liveProcess())
                return
            }
            do {
                let reader = try SQLiteHistoryReader(path: journal)
                guard id != nil || last else {
                    try list(try reader.recent(limit: limit))
                    return
                }
                try draw(try reader.drain(id: last ? nil : id))
            } catch let error as HistoryError {
                printError(error.description)
                throw ExitCode(error.code == .notFound ? ExitCode.validationFailure.rawValue : ExitCodes.noProcess)
            }
        }

        /// The fleet's history: its list, one drain, or a deploy.
        private func fleet(_ url: FleetURL) throws {
            do {
                let reader = try FleetHistoryReader(url: url)
                if let since, let seconds = Self.seconds(since) {
                    let deploy = try reader.deploy(lastSeconds: seconds)
                    if json {
                        emit(String(decoding: try JSONEncoder.drain.encode(deploy.drains.map(\.entry)), as: UTF8.self))
                    } else {
                        DeployLayout.lines(deploy, width: columns(), ascii: !Self.localeIsUTF8()).forEach(emit)
                    }
                } else if id != nil || last {
                    try draw(try reader.drain(id: last ? nil : id))
                } else {
                    try list(try reader.recent(limit: limit))
                }
            } catch let error as FleetError {
                printError(error.message)
                switch error.code {
                case .notFound: throw ExitCode(ExitCode.validationFailure.rawValue)
                case .queryFailed: throw ExitCode(ExitCodes.noProcess)
                default: throw ExitCode(ExitCodes.connectionLost)
                }
            }
        }

        func list(_ entries: [DrainHistoryEntry]) throws {
            if json {
                emit(String(decoding: try JSONEncoder.drain.encode(entries), as: UTF8.self))
            } else {
                HistoryLayout.list(entries, width: columns()).forEach(emit)
            }
        }

        func draw(_ entry: DrainHistoryEntry) throws {
            if let svg {
                let text = TimelineSVG.document(entry)
                do {
                    try Data(text.utf8).write(to: URL(fileURLWithPath: svg))
                } catch {
                    printError("cannot write \(svg): \(error)")
                    throw ExitCode(ExitCodes.noProcess)
                }
            }
            if json {
                emit(String(decoding: try entry.report.jsonData(), as: UTF8.self))
            } else if svg == nil {
                TimelineLayout.lines(entry, width: columns(), ascii: !Self.localeIsUTF8()).forEach(emit)
            }
        }

        /// `90s`, `30m`, `2h`, `1d`, or a number of seconds; nil for anything else or not above zero.
        static func seconds(_ span: String) -> Double? {
            let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
            var text = span.filter { !$0.isWhitespace }.lowercased()
            var unit = 1.0
            if let last = text.last, let scale = units[last] {
                unit = scale
                text.removeLast()
            }
            guard let value = Double(text), value.isFinite, value > 0 else { return nil }
            return value * unit
        }

        /// `--width`, else the terminal's columns, else `$COLUMNS`, else 80.
        private func columns() -> Int {
            if let width { return width }
            var size = winsize()
            if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
            if let text = ProcessInfo.processInfo.environment["COLUMNS"], let value = Int(text), value > 0 {
                return value
            }
            return 80
        }

        /// Whether the user's locale encodes text as UTF-8, as `top` decides it (`LANG=C` is not).
        private static func localeIsUTF8() -> Bool {
            setlocale(LC_ALL, "")
            guard let codeset = nl_langinfo(nl_item(CODESET)) else { return false }
            let name = String(cString: codeset).uppercased()
            return name == "UTF-8" || name == "UTF8"
        }
    }
}
