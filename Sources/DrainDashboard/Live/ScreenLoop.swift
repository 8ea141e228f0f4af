import DrainClient
import DrainProtocol

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
    /// - Throws: ``DrainControl/ControlError`` `protocolViolation` when the watched socket does not speak
    ///   the protocol, after the terminal is restored.
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
        let signal = try frames(on: terminal)
        return DashboardSummary(state: state, now: .now, signal: signal)
    }

    /// Draws and reads keys until the user quits (nil) or a signal arrives (its number).
    ///
    /// A frame is laid out only when something on it can have changed: news from the feed, a key, a new
    /// size, or clocks that move (ages and the countdown while connected). A frozen last frame, a help
    /// screen or the process list cost one wake-up per frame interval and nothing else.
    private func frames(on terminal: Terminal) throws -> Int32? {
        var dirty = true
        var lastSize: ScreenSize?
        var noticeShown = false
        while true {
            if let signal = TerminalSignals.pending { return signal }
            let now = ContinuousClock.now
            let updates = inbox.take()
            for update in updates { state.apply(update, at: now) }
            if let failure = state.failure {
                throw ControlError(.protocolViolation, "top cannot watch \(failure)")
            }
            let size = terminal.size
            let showsNotice = state.notice.map { now < $0.until } ?? false
            if dirty || !updates.isEmpty || size != lastSize || showsNotice != noticeShown || state.clocksRunning {
                // Keep the scroll position in range, so scrolling back up answers at the first key press.
                state.scroll = DashboardLayout.firstJob(state, rows: DashboardLayout.jobRows(state: state, size: size))
                terminal.paint(DashboardLayout.render(state: state, size: size, now: now))
                terminal.setTitle(DashboardLayout.title(state: state, now: now))
                dirty = false
                lastSize = size
                noticeShown = showsNotice
            }
            switch terminal.read() {
            case .none: continue
            case .resize: dirty = true
            case .key(let key):
                dirty = true
                for command in state.handle(key, at: .now) {
                    if command == .quit { return nil }
                    commands.yield(command)
                }
            }
        }
    }
}
