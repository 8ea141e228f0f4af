import Drain
import DrainControl

#if canImport(Glibc)
    import Glibc
#endif

/// The screen thread: frames at about 10 per second, keys, and the terminal's whole life.
///
/// Every curses call happens in ``run()``, on the one thread that called it.
final class ScreenLoop {
    private var state: DashboardState
    private let inbox: Inbox
    private let commands: AsyncStream<DashboardCommand>.Continuation
    private let configuration: DashboardConfiguration

    init(
        state: DashboardState, inbox: Inbox, commands: AsyncStream<DashboardCommand>.Continuation,
        configuration: DashboardConfiguration
    ) {
        self.state = state
        self.inbox = inbox
        self.commands = commands
        self.configuration = configuration
    }

    /// Runs until `q` or a terminating signal; the terminal is restored before it returns or throws.
    func run() throws -> DashboardSummary {
        TerminalSignals.unblockOnThisThread()
        CrashGuard.installAlternateStack()
        StderrCapture.begin()
        defer { StderrCapture.finish() }
        let terminal = try Terminal(
            useColor: configuration.useColor,
            inputTimeout: Int32(configuration.frameInterval / .milliseconds(1)),
            environment: configuration.environment
        )
        defer { terminal.end() }
        let signal = frames(on: terminal)
        return DashboardSummary(state: state, now: .now, signal: signal)
    }

    /// Draws and reads keys until the user quits (nil) or a signal arrives (its number).
    private func frames(on terminal: Terminal) -> Int32? {
        while true {
            if let signal = TerminalSignals.pending { return signal }
            let now = ContinuousClock.now
            for update in inbox.take() { state.apply(update, at: now) }
            let size = terminal.size
            // Keep the scroll position in range, so scrolling back up answers at the first key press.
            let first = DashboardLayout.firstJob(state, rows: DashboardLayout.jobRows(state: state, size: size))
            state.scroll = first
            terminal.paint(DashboardLayout.render(state: state, size: size, now: now))
            terminal.setTitle(DashboardLayout.title(state: state, now: now))
            guard case .key(let key) = terminal.read() else { continue }
            for command in state.handle(key, at: .now) {
                if command == .quit { return nil }
                commands.yield(command)
            }
        }
    }
}
