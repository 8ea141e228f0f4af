import DrainClient
import DrainFleet

#if canImport(Glibc)
    import Glibc
#endif

/// `drainctl top --postgres URL`: every worker of a fleet, read from its shared journal.
public enum FleetDashboard {
    /// Shows the fleet until the user quits or a terminating signal arrives.
    /// - Throws: ``DashboardError`` as ``Dashboard/run(_:)`` does; ``DrainFleet/FleetError`` when the
    ///   journal cannot be read at start (checked before the screen is taken over).
    public static func run(url: FleetURL, configuration: DashboardConfiguration) async throws -> DashboardSummary {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw DashboardError(
                .notATerminal,
                "top needs a terminal, and stdin or stdout is not one; for scripts use "
                    + "`drainctl ls --postgres URL --json` or `drainctl status --postgres URL`"
            )
        }
        // A wrong URL or a schema without a journal is said on the normal screen, not in curses.
        _ = try FleetReader(url: url).read()
        TerminalSignals.install()
        CrashGuard.install()
        let feed = FleetFeed(url: url, interval: configuration.fleetInterval)
        defer { feed.stop() }
        let source = "\(url) schema \(url.schema)"
        return try await withCheckedThrowingContinuation { continuation in
            let started = DetachedThread.start(name: "drainctl-screen", stackSize: 4 << 20) {
                continuation.resume(
                    with: Result {
                        try FleetScreenLoop(feed: feed, source: source, configuration: configuration).run()
                    })
            }
            if !started {
                continuation.resume(throwing: DashboardError(.terminalUnavailable, "cannot start the screen thread"))
            }
        }
    }
}

/// The fleet screen's thread: frames, keys, and the terminal's whole life, like ``ScreenLoop``.
final class FleetScreenLoop {
    private var state: FleetState
    private let feed: FleetFeed
    private let configuration: DashboardConfiguration

    init(feed: FleetFeed, source: String, configuration: DashboardConfiguration) {
        self.feed = feed
        self.state = FleetState(source: source)
        self.configuration = configuration
    }

    func run() throws -> DashboardSummary {
        try Terminal.withScreen(configuration) { terminal in
            while true {
                if let signal = TerminalSignals.pending { return summary(signal: signal) }
                let now = ContinuousClock.now
                for update in feed.take() { state.apply(update, at: now) }
                // Heartbeat ages and countdowns move every frame: the layout is cheap next to the terminal.
                terminal.paint(FleetLayout.render(state: state, size: terminal.size, now: now))
                terminal.setTitle(FleetLayout.title(state: state))
                if case .key(let key) = terminal.read(), state.handle(key) { return summary(signal: nil) }
            }
        }
    }

    private func summary(signal: Int32?) -> DashboardSummary {
        var lines = [
            "drainctl top: fleet \(state.source): " + (state.snapshot.map(FleetText.summary) ?? "nothing read")
        ]
        let rescued = state.snapshot?.rescuedWorkers ?? []
        for handoff in state.handoffs {
            lines.append("drainctl top: " + FleetText.handoff(handoff, names: state.names, rescued: rescued))
        }
        return DashboardSummary(lines: lines, signal: signal)
    }
}
