import ArgumentParser
import DrainClient
import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `drainctl shutdown --all`: every live process of the run directory drained at once, each followed to
/// its end on a connection of its own, one tagged line per event, one summary line per process.
///
/// A host drains its own processes only; the fleet has no remote shutdown.
struct HostShutdown {
    /// How one process's drain ended.
    enum Ending: Sendable {
        case stopped(ShutdownReport)
        /// The connection ended before the `stopped` event, or never started.
        case lost(String)
    }

    var runDirectory: RunDirectory
    /// Asks one process for its drain, on its connection (`--grace auto`: each plans its own grace).
    var start: @Sendable (ControlClient) async throws -> PoolSnapshot
    var noWait: Bool
    var json: Bool

    /// Drains and follows every process.
    /// - Returns: The exit code of the worst ending: 0 all clean, 1 any forced, 2 any lost.
    func run() async throws -> Int32 {
        let entries = try Self.liveProcesses(in: runDirectory)
        let tagWidth = entries.map { Self.tag($0).count }.max() ?? 0
        let endings = await withTaskGroup(of: (ProcessEntry, Ending?).self) { group in
            for entry in entries {
                group.addTask { (entry, await drain(entry, tagWidth: tagWidth)) }
            }
            var endings: [ProcessEntry: Ending?] = [:]
            for await (entry, ending) in group { endings[entry] = ending }
            return endings
        }
        var worst: Int32 = 0
        for entry in entries {
            guard let ending = endings[entry] ?? nil else { continue }
            worst = max(worst, summarize(entry, ending))
        }
        if !json, !noWait, entries.count > 1 { emit(Self.totals(entries.compactMap { endings[$0] ?? nil })) }
        return worst
    }

    /// The live processes: the ones whose socket answers a probe. None is an error, as for every command.
    static func liveProcesses(in directory: RunDirectory) throws -> [ProcessEntry] {
        if FileManager.default.fileExists(atPath: directory.path) {
            do { try directory.verify() } catch let error as ControlError { throw ExitCodes.from(error) }
        }
        let live = directory.entries().filter { SocketProbe.probe(path: $0.path) == .live }
        guard !live.isEmpty else {
            printError("no live process in \(directory.path) (see `drainctl ls`)")
            throw ExitCode(ExitCodes.noProcess)
        }
        return live
    }

    /// One process: subscribe, ask for the drain, print its events until it stops.
    /// - Returns: Nil with `--no-wait`, once the request was answered.
    private func drain(_ entry: ProcessEntry, tagWidth: Int) async -> Ending? {
        let name = Self.tag(entry)
        let tag = name + String(repeating: " ", count: max(0, tagWidth - name.count))
        do {
            return try await ControlClient.withConnection(path: entry.path) { client -> Ending? in
                // Subscribed first, so no event of the drain can slip between the request and the stream.
                if !noWait { try await client.subscribe(intervalMs: 1000) }
                let snapshot = try await start(client)
                if noWait {
                    let grace = snapshot.graceSeconds.map { DurationFormat.duration($0) } ?? "-"
                    emit(
                        json
                            ? try Self.line(entry, ["snapshot": snapshot])
                            : "\(tag)  \(snapshot.phase.rawValue), grace \(grace), \(snapshot.inFlight) in flight")
                    return nil
                }
                var lastSeq = 0
                while let message = try await client.next() {
                    guard let event = message.event, event.seq > lastSeq else { continue }
                    lastSeq = event.seq
                    emit(json ? try Self.line(entry, ["event": event]) : "\(tag)  \(SnapshotText.render(event))")
                    if event.kind == .stopped, let report = event.report { return .stopped(report) }
                }
                return .lost("the connection closed before the drain finished; the process may have been killed")
            }
        } catch let error as ControlError {
            return .lost(error.message)
        } catch {
            return .lost("\(error)")
        }
    }

    /// Prints the process's summary line.
    /// - Returns: Its exit code: 0 clean, 1 forced, 2 lost.
    private func summarize(_ entry: ProcessEntry, _ ending: Ending) -> Int32 {
        switch ending {
        case .stopped(let report):
            if json {
                emit((try? Self.line(entry, ["report": report])) ?? "")
            } else {
                emit(
                    "\(Self.tag(entry)): stopped \(report.outcome.rawValue) in \(DurationFormat.fixed(report.drainSeconds, places: 2))s: "
                        + "\(report.completed) completed, \(report.cancelled) cancelled, \(report.requeued) requeued")
            }
            return report.outcome == .forced ? ExitCodes.forced : 0
        case .lost(let message):
            if json {
                emit((try? Self.line(entry, ["lost": message])) ?? "")
            } else {
                emit("\(Self.tag(entry)): lost: \(message)")
            }
            return ExitCodes.connectionLost
        }
    }

    /// `3 processes: 2 clean, 1 forced, 0 lost`
    static func totals(_ endings: [Ending]) -> String {
        var clean = 0
        var forced = 0
        var lost = 0
        for ending in endings {
            switch ending {
            case .stopped(let report): if report.outcome == .clean { clean += 1 } else { forced += 1 }
            case .lost: lost += 1
            }
        }
        return "\(endings.count) processes: \(clean) clean, \(forced) forced, \(lost) lost"
    }

    /// `alpha (pid 1447)`: how every line names its process.
    static func tag(_ entry: ProcessEntry) -> String { "\(entry.name) (pid \(entry.pid))" }

    /// One JSON line: the process's name and pid beside one value under `key`.
    static func line<T: Encodable>(_ entry: ProcessEntry, _ value: [String: T]) throws -> String {
        let data = try JSONEncoder.drain.encode(TaggedLine(name: entry.name, pid: entry.pid, value: value))
        return String(decoding: data, as: UTF8.self)
    }
}

/// `{"name":…,"pid":…,"event":{…}}`: a value of one process, for `--json` output about several.
private struct TaggedLine<T: Encodable>: Encodable {
    var name: String
    var pid: Int32
    var value: [String: T]

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(name, forKey: Key("name"))
        try container.encode(pid, forKey: Key("pid"))
        for (key, item) in value { try container.encode(item, forKey: Key(key)) }
    }
}

/// A coding key from a string, for the tagged JSON lines.
private struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
