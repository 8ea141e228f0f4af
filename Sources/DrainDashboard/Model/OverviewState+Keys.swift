import DrainClient
import DrainProtocol

extension OverviewState {
    /// Reacts to a key.
    /// - Returns: What the screen loop must do; empty for keys that only change the screen.
    package mutating func handle(_ key: Key, at now: ContinuousClock.Instant) -> [OverviewCommand] {
        switch mode {
        case .normal: return normalKey(key, at: now)
        case .help:
            mode = .normal
            return key == .character("q") ? [.quit] : []
        case .askGrace(let text): return graceKey(key, text: text, at: now)
        case .confirm(let grace): return confirmKey(key, grace: grace, at: now)
        }
    }

    private mutating func normalKey(_ key: Key, at now: ContinuousClock.Instant) -> [OverviewCommand] {
        let last = max(0, rows.count - 1)
        switch key {
        case .character("q"), .character("Q"): return [.quit]
        case .character("?"), .character("h"): mode = .help
        case .up, .character("k"): selected = max(0, selected - 1)
        case .down, .character("j"), .tab: selected = min(last, selected + 1)
        case .pageUp: selected = max(0, selected - 10)
        case .pageDown: selected = min(last, selected + 10)
        case .home, .character("g"): selected = 0
        case .end, .character("G"): selected = last
        case .enter:
            guard let entry = selectedEntry else { return [] }
            return [.open(entry)]
        case .character("s"), .character("S"):
            startShutdownDialogue(at: now)
        case .escape:
            notice = nil
        default: break
        }
        return []
    }

    private mutating func startShutdownDialogue(at now: ContinuousClock.Instant) {
        guard rows.indices.contains(selected) else {
            show("no process to drain", .warning, at: now)
            return
        }
        let row = rows[selected]
        guard row.status == .live, let phase = row.snapshot?.phase else {
            show("\(row.entry.name) (pid \(row.entry.pid)) is not connected", .warning, at: now)
            return
        }
        guard phase < .forcing else {
            show("\(row.entry.name) is already \(phase == .forcing ? "forcing" : "stopped")", .warning, at: now)
            return
        }
        mode = .askGrace(suggestedGrace.map(DashboardState.formatGrace) ?? "")
    }

    private mutating func graceKey(_ key: Key, text: String, at now: ContinuousClock.Instant) -> [OverviewCommand] {
        switch GracePromptKey(key, text: text) {
        case .edit(let text): mode = .askGrace(text)
        case .cancel:
            mode = .normal
            show("shutdown cancelled", .info, at: now)
        case .submit(.serviceDefault): mode = .confirm(grace: nil)
        case .submit(.seconds(let grace)): mode = .confirm(grace: grace)
        case .submit(.invalid): show(GraceEntry.invalidMessage, .danger, at: now)
        case .ignore: break
        }
        return []
    }

    private mutating func confirmKey(_ key: Key, grace: Double?, at now: ContinuousClock.Instant) -> [OverviewCommand] {
        mode = .normal
        guard key == .character("y") || key == .character("Y") || key == .enter else {
            show("shutdown cancelled", .info, at: now)
            return []
        }
        guard rows.indices.contains(selected), rows[selected].status == .live else {
            show("not connected any more: nothing was sent", .warning, at: now)
            return []
        }
        show("shutdown of \(rows[selected].entry.name) requested…", .info, at: now)
        return [.shutdown(rows[selected].entry, grace: grace)]
    }
}
