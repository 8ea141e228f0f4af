import DrainClient
import DrainProtocol

/// What `top` shows: the overview of every process, or one process's full screen.
///
/// With several processes `top` opens on the overview; Enter drills into the selected process and Esc
/// comes back. With one process there is no overview and this is only the single screen. Pure, like the
/// two states it holds.
package struct TopScreen: Sendable {
    /// Which of the two screens is on.
    package enum View: Sendable, Hashable {
        case overview
        case detail
    }

    /// The single screen's state; it watches nothing until a process is opened.
    package var detail: DashboardState
    /// Nil when `top` watches one process only.
    package var overview: OverviewState?
    package var view: View

    /// One process's screen only.
    package init(detail: DashboardState) {
        self.detail = detail
        self.overview = nil
        self.view = .detail
    }

    /// The overview first, over `detail`, which opens on Enter.
    package init(overview: OverviewState, detail: DashboardState) {
        self.detail = detail
        self.overview = overview
        self.view = .overview
    }

    /// Takes in one update; both screens see it, each keeping what is theirs by session number.
    /// - Returns: Subscriptions the overview needs for processes that just appeared.
    package mutating func apply(_ update: FeedUpdate, at now: ContinuousClock.Instant) -> [TopCommand] {
        detail.apply(update, at: now)
        guard var overview else { return [] }
        // A single screen's failure is the overview's row gone lost, not the end of top, once there is an
        // overview to go back to.
        if detail.failure != nil {
            detail.failure = nil
        }
        let commands = overview.apply(update, at: now)
        self.overview = overview
        return commands.compactMap { command in
            guard case .follow(let entry, let session) = command else { return nil }
            return .follow(entry, session: session)
        }
    }

    /// Reacts to a key on the screen that is on.
    package mutating func handle(_ key: Key, at now: ContinuousClock.Instant) -> [TopCommand] {
        guard var overview else { return detail.handle(key, at: now).map(TopCommand.init) }
        switch view {
        case .overview:
            var result: [TopCommand] = []
            for command in overview.handle(key, at: now) {
                switch command {
                case .open(let entry):
                    view = .detail
                    // Rows already show every new process: no banner offering one on the single screen.
                    detail.offer = nil
                    if entry != detail.target || detail.connection.hasEnded {
                        result.append(.feed(detail.attach(entry)))
                    }
                case .follow(let entry, let session): result.append(.follow(entry, session: session))
                case .shutdown(let entry, let grace): result.append(.feed(.shutdown(entry, grace: grace)))
                case .quit: result.append(.quit)
                }
            }
            self.overview = overview
            return result
        case .detail:
            if key == .escape, detail.mode == .normal {
                // Back to the overview, on the row of the process just seen.
                detail.notice = nil
                detail.offer = nil
                view = .overview
                if let target = detail.target, let index = overview.rows.firstIndex(where: { $0.entry == target }) {
                    overview.selected = index
                    self.overview = overview
                }
                return []
            }
            return detail.handle(key, at: now).map(TopCommand.init)
        }
    }

    /// Whether the screen on shows clocks that move between updates.
    package var clocksRunning: Bool {
        view == .overview ? overview?.clocksRunning ?? false : detail.clocksRunning
    }

    /// The footer message of the screen on.
    package var notice: DashboardState.Notice? { view == .overview ? overview?.notice : detail.notice }

    /// Why `top` must end: the single screen's socket does not speak the protocol (without an overview).
    package var failure: String? { overview == nil ? detail.failure : nil }

    /// The screen on, as lines; keeps the scroll position in range first, so the next key answers.
    package mutating func render(size: ScreenSize, now: ContinuousClock.Instant) -> [ScreenLine] {
        if view == .overview, var overview {
            overview.scroll = OverviewLayout.firstRow(
                overview, rows: OverviewLayout.processRows(state: overview, size: size))
            self.overview = overview
            return OverviewLayout.render(state: overview, size: size, now: now)
        }
        detail.scroll = DashboardLayout.firstJob(detail, rows: DashboardLayout.jobRows(state: detail, size: size))
        return DashboardLayout.render(state: detail, size: size, now: now)
    }

    /// The terminal title of the screen on.
    package func title(now: ContinuousClock.Instant) -> String {
        if view == .overview, let overview { return OverviewLayout.title(state: overview) }
        return DashboardLayout.title(state: detail, now: now)
    }

    /// What stays on the normal screen after `q`.
    package func summary(now: ContinuousClock.Instant, signal: Int32?) -> DashboardSummary {
        guard let overview else { return DashboardSummary(state: detail, now: now, signal: signal) }
        return DashboardSummary(overview: overview, now: now, signal: signal)
    }
}

/// What the screen loop does for the ``TopScreen``.
package enum TopCommand: Sendable, Hashable {
    /// A command for the single screen's feed: subscribe, shutdown, extend, statuses.
    case feed(DashboardCommand)
    /// Subscribe to one process for its overview row.
    case follow(ProcessEntry, session: Int)
    case quit

    init(_ command: DashboardCommand) {
        self = command == .quit ? .quit : .feed(command)
    }
}
