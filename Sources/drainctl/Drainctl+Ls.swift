import ArgumentParser
import DrainClient
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
    struct Ls: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the processes in the run directory.",
            discussion:
                "Stale sockets (nothing listening) are flagged, and removed with --prune; a process that does not answer within 5 s is shown unresponsive. With --postgres, the workers of the whole fleet from its shared journal instead, with their host; a worker silent for more than half its lease is lost, with its jobs waiting for rescue.\n\nExamples:\n  drainctl ls\n  drainctl ls --json\n  drainctl ls --prune\n  drainctl ls --postgres postgres://drain@db/jobs --json"
        )

        @Option(help: "The run directory to look in.") var runDir: String?
        @Flag(help: "Print JSON.") var json = false
        @Flag(help: "Remove stale sockets.") var prune = false
        @OptionGroup var fleet: FleetOptions

        struct Row: Codable {
            var name: String
            var pid: Int32
            var socket: String
            var state: String
            var phase: DrainPhase?
            var inFlight: Int?
            var queued: Int?
            var secondsLeft: Double?

            private enum CodingKeys: String, CodingKey {
                case name, pid, socket, state, phase, queued
                case inFlight = "in_flight"
                case secondsLeft = "seconds_left"
            }
        }

        func validate() throws {
            if fleet.postgres != nil, prune || runDir != nil {
                throw ValidationError("--postgres reads the fleet's journal; it takes no run directory options")
            }
        }

        func run() async throws {
            if let url = try fleet.url() {
                try FleetCommands.list(url, json: json)
                return
            }
            let directory = runDir.map(RunDirectory.init(path:)) ?? .resolve()
            if FileManager.default.fileExists(atPath: directory.path) {
                do { try directory.verify() } catch let error as ControlError { throw ExitCodes.from(error) }
            }
            var rows: [Row] = []
            for entry in directory.entries() {
                var row = Row(name: entry.name, pid: entry.pid, socket: entry.path, state: "live")
                if SocketProbe.probe(path: entry.path) != .live {
                    row.state = prune && unlink(entry.path) == 0 ? "pruned" : "stale"
                } else if let snapshot = try? await withControlDeadline(
                    processAnswerLimit, what: entry.path,
                    {
                        try await ControlClient.withConnection(path: entry.path) { try await $0.status() }
                    })
                {
                    row.phase = snapshot.phase
                    row.inFlight = snapshot.inFlight
                    row.queued = snapshot.queued
                    row.secondsLeft = snapshot.secondsLeft
                } else {
                    row.state = "unresponsive"
                }
                rows.append(row)
            }
            if json {
                emit(String(decoding: try JSONEncoder.drain.encode(rows), as: UTF8.self))
                return
            }
            if rows.isEmpty {
                emit("no processes in \(directory.path)")
                return
            }
            emit(pad(["NAME", "PID", "STATE", "PHASE", "IN FLIGHT", "QUEUED", "LEFT", "SOCKET"]))
            for row in rows {
                emit(
                    pad([
                        row.name, "\(row.pid)", row.state, row.phase?.rawValue ?? "-",
                        row.inFlight.map(String.init) ?? "-",
                        row.queued.map(String.init) ?? "-",
                        row.secondsLeft.map { (left: Double) in DurationFormat.fixed(max(0, left), places: 0) + "s" }
                            ?? "-",
                        row.socket,
                    ])
                )
            }
            let stale = rows.filter { $0.state == "stale" }.count
            if stale > 0 { emit("\(stale) stale socket(s); `drainctl ls --prune` removes them") }
        }

        private func pad(_ columns: [String]) -> String {
            let widths = [16, 8, 13, 10, 10, 8, 6, 0]
            return zip(columns, widths).map { (column: String, width: Int) -> String in
                guard width > 0 else { return column }
                return column + String(repeating: " ", count: max(width, column.count + 1) - column.count)
            }.joined()
        }
    }
}
