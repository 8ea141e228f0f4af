import DrainClient
import DrainProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// The screen thread: frames at about 10 per second, keys, and the terminal's whole life.
///
/// Every curses call happens in ``run()``, on the one thread that called it.
final class ScreenLoop {
    private var state: TopScreen
    private let inbox: Inbox
    /// The overview's subscriptions, when there is an overview.
    private let overviewFeed: OverviewFeed?
    private let commands: AsyncStream<DashboardCommand>.Continuation
    private let configuration: DashboardConfiguration

    init(
        state: TopScreen, inbox: Inbox, commands: AsyncStream<DashboardCommand>.Continuation,
        configuration: DashboardConfiguration, overviewFeed: OverviewFeed? = nil
    ) {
        self.state = state
        self.inbox = inbox
        self.overviewFeed = overviewFeed
        self.commands = commands
        self.configuration = configuration
    }

    /// Runs until `q` or a terminating signal; the terminal is restored before it returns or throws.
    /// - Throws: ``DrainControl/ControlError`` `protocolViolation` when the watched socket does not speak
    ///   the protocol, after the terminal is restored.
    func run() throws -> DashboardSummary {
        try Terminal.withScreen(configuration) { terminal in
            defer { overviewFeed?.cancelAll() }
            for command in state.overview?.follows ?? [] {
                if case .follow(let entry, let session) = command { overviewFeed?.follow(entry, session: session) }
            }
            let signal = try frames(on: terminal)
            return state.summary(now: .now, signal: signal)
        }
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
            for update in updates {
                for command in state.apply(update, at: now) { _ = perform(command) }
            }
            if let failure = state.failure {
                throw ControlError(.protocolViolation, "top cannot watch \(failure)")
            }
            let size = terminal.size
            let showsNotice = state.notice.map { now < $0.until } ?? false
            if dirty || !updates.isEmpty || size != lastSize || showsNotice != noticeShown || state.clocksRunning {
                terminal.paint(state.render(size: size, now: now))
                terminal.setTitle(state.title(now: now))
                dirty = false
                lastSize = size
                noticeShown = showsNotice
            }
            switch terminal.read() {
            case .none: continue
            case .resize: dirty = true
            case .key(let key):
                dirty = true
                for command in state.handle(key, at: .now) where !perform(command) { return nil }
            }
        }
    }

    /// Hands `command` to the feed it is for.
    /// - Returns: False for `quit`.
    private func perform(_ command: TopCommand) -> Bool {
        switch command {
        case .quit: return false
        case .feed(let command): commands.yield(command)
        case .follow(let entry, let session): overviewFeed?.follow(entry, session: session)
        }
        return true
    }
}
