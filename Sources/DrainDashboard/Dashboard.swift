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

/// `drainctl top`: the live dashboard of a draining service.
///
/// ```swift
/// let summary = try await Dashboard.run(DashboardConfiguration(runDirectory: .resolve()))
/// summary.lines.forEach { print($0) }
/// ```
public enum Dashboard {
    /// Shows the dashboard until the user quits or a terminating signal arrives.
    ///
    /// The screen runs on a thread of its own (curses is not thread-safe and blocks waiting for keys);
    /// the connections run as tasks and hand their news over through an inbox.
    /// - Returns: What to print on the normal screen, and the signal that ended it, if any.
    /// - Throws: ``DashboardError`` `notATerminal` when stdin or stdout is not a terminal, and
    ///   `terminalUnavailable` when curses cannot drive it; ``DrainControl/ControlError`` when there is
    ///   no process to watch. The terminal is left as it was in every case.
    public static func run(_ configuration: DashboardConfiguration) async throws -> DashboardSummary {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw DashboardError(
                .notATerminal,
                "top needs a terminal, and stdin or stdout is not one; for scripts and logs use "
                    + "`drainctl status` (one snapshot, --json) or `drainctl events` (a stream of events)"
            )
        }
        TerminalSignals.install()
        CrashGuard.install()
        let (target, live) = try choose(configuration)
        var state = DashboardState(processes: live, suggestedGrace: configuration.suggestedGrace)
        let (commands, sink) = AsyncStream.makeStream(of: DashboardCommand.self)
        let inbox = Inbox()
        let screen: TopScreen
        var overviewFeed: OverviewFeed?
        if let target {
            sink.yield(state.attach(target))
            screen = TopScreen(detail: state)
        } else {
            // Several processes: the overview, one row each; Enter opens one on the single screen.
            let overview = OverviewState(processes: live, suggestedGrace: configuration.suggestedGrace)
            screen = TopScreen(overview: overview, detail: state)
            overviewFeed = OverviewFeed(inbox: inbox, interval: configuration.overviewSnapshotInterval)
        }
        let feed = Feed(
            inbox: inbox, runDirectory: configuration.runDirectory, pinned: target.map { [$0] } ?? [], known: live,
            interval: configuration.snapshotInterval, discoveryInterval: configuration.discoveryInterval
        )
        let network = Task { await feed.run(commands: commands) }
        defer {
            sink.finish()
            network.cancel()
        }
        let rows = overviewFeed
        return try await withCheckedThrowingContinuation { continuation in
            let started = DetachedThread.start(name: "drainctl-screen", stackSize: 4 << 20) {
                let loop = ScreenLoop(
                    state: screen, inbox: inbox, commands: sink, configuration: configuration, overviewFeed: rows)
                continuation.resume(with: Result { try loop.run() })
            }
            if !started {
                continuation.resume(throwing: DashboardError(.terminalUnavailable, "cannot start the screen thread"))
            }
        }
    }

    /// The process to watch first, and the live ones in the run directory.
    /// - Returns: A nil target when there are several and none was named (or the overview was asked for
    ///   with ``DashboardConfiguration/overview``): the overview opens.
    static func choose(_ configuration: DashboardConfiguration) throws -> (ProcessEntry?, [ProcessEntry]) {
        if let socket = configuration.socket {
            let entry = try ProcessSelector.select(socket: socket, runDirectory: configuration.runDirectory)
            var live = Feed.liveProcesses(in: configuration.runDirectory, pinned: [entry])
            if !live.contains(entry) { live.append(entry) }
            return (entry, live)
        }
        let directory = configuration.runDirectory
        if FileManager.default.fileExists(atPath: directory.path) { try directory.verify() }
        let live = Feed.liveProcesses(in: directory)
        if configuration.overview, !live.isEmpty { return (nil, live) }
        switch live.count {
        case 0:
            // The selector words "nothing here" the same way every other command does.
            return (try ProcessSelector.select(socket: nil, runDirectory: directory), live)
        case 1: return (live[0], live)
        default: return (nil, live)
        }
    }
}
