import DrainClient
import DrainDashboard
import DrainProtocol
import Foundation

/// Overview states built by hand: `count` processes, fed snapshots through ``OverviewState/apply(_:at:)``
/// as the network side would.
enum OverviewFixtures {
    static func entry(_ index: Int) -> ProcessEntry {
        let names = ["shop", "mailer", "api", "billing", "search"]
        // Short enough for the narrowest name column, so every row can be found by its name.
        let name = index < names.count ? names[index] : "w\(index)"
        return ProcessEntry(name: name, pid: Int32(1000 + index), path: "/tmp/ov-test/\(name).\(1000 + index).sock")
    }

    /// A snapshot of process `index`, with the fixture snapshot's counts.
    static func snapshot(_ index: Int, _ phase: DrainPhase) -> PoolSnapshot {
        var s = Fixtures.snapshot(phase)
        let entry = entry(index)
        s.name = entry.name
        s.pid = entry.pid
        s.inFlight = index + 1
        s.recentEvents = []
        return s
    }

    /// `count` processes, connected, each with a snapshot in `phase(index)`.
    static func state(_ count: Int, phase: (Int) -> DrainPhase = { _ in .running }) -> OverviewState {
        var state = OverviewState(processes: (0..<count).map(entry), suggestedGrace: 15)
        for (index, row) in state.rows.enumerated() {
            _ = state.apply(.connected(session: row.session), at: Fixtures.base)
            _ = state.apply(.snapshot(snapshot(index, phase(index)), session: row.session), at: Fixtures.base)
        }
        return state
    }

    static func session(_ state: OverviewState, _ index: Int) -> Int { state.rows[index].session }
}

/// The overview as text, like ``Screen``.
struct OverviewScreen {
    let lines: [ScreenLine]

    init(
        _ state: OverviewState, _ size: ScreenSize = ScreenSize(columns: 80, rows: 24),
        at now: ContinuousClock.Instant = Fixtures.base
    ) {
        lines = OverviewLayout.render(state: state, size: size, now: now)
    }

    var text: String { lines.map(\.text).joined(separator: "\n") }

    func contains(_ fragment: String) -> Bool { text.contains(fragment) }

    /// The row of process `entry`: the line starting with its name after the selection mark.
    func row(of entry: ProcessEntry) -> ScreenLine? {
        lines.first { $0.text.dropFirst().hasPrefix(entry.name) && $0.text.contains(" \(entry.pid) ") }
    }

    func style(of fragment: String, in line: ScreenLine) -> Style? {
        guard let range = line.text.range(of: fragment) else { return nil }
        return line.style(at: line.text.distance(from: line.text.startIndex, to: range.lowerBound))
    }
}
