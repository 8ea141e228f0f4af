import DrainClient
import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension DashboardState {
    /// Reacts to a key.
    /// - Returns: What the network side must do; empty for keys that only change the screen.
    package mutating func handle(_ key: Key, at now: ContinuousClock.Instant) -> [DashboardCommand] {
        switch mode {
        case .normal: return normalKey(key, at: now)
        case .help:
            mode = .normal
            return key == .character("q") ? [.quit] : []
        case .askGrace(let text): return graceKey(key, text: text, at: now)
        case .confirm(let grace): return confirmKey(key, grace: grace, at: now)
        case .picker(let row): return pickerKey(key, row: row)
        }
    }

    private mutating func normalKey(_ key: Key, at now: ContinuousClock.Instant) -> [DashboardCommand] {
        switch key {
        case .character("q"), .character("Q"): return [.quit]
        case .character("?"), .character("h"):
            mode = .help
        case .character("s"), .character("S"):
            startShutdownDialogue(at: now)
        case .character("+"), .character("="):
            return moveDeadline(by: Self.deadlineStep, at: now)
        case .character("-"), .character("_"):
            return moveDeadline(by: -Self.deadlineStep, at: now)
        case .up, .character("k"): scroll = max(0, scroll - 1)
        case .down, .character("j"): scroll += 1
        case .pageUp: scroll = max(0, scroll - 10)
        case .pageDown: scroll += 10
        case .home, .character("g"): scroll = 0
        case .end, .character("G"): scroll = Int.max / 2
        case .tab: return nextProcess(at: now)
        case .character("p"), .character("P"):
            guard !processes.isEmpty else {
                show("no process in the run directory", .warning, at: now)
                return []
            }
            mode = .picker(processes.firstIndex { $0.entry == target } ?? 0)
            return [.refreshStatuses(processes.map(\.entry))]
        case .character("a"), .character("A"):
            guard let offer else { return [] }
            return [attach(offer)]
        case .escape:
            notice = nil
            offer = nil
        default: break
        }
        return []
    }

    private mutating func startShutdownDialogue(at now: ContinuousClock.Instant) {
        guard target != nil, connection == .live, let phase else {
            show("not connected to a running process", .warning, at: now)
            return
        }
        guard phase < .forcing else {
            show("the process is already \(phase == .forcing ? "forcing" : "stopped")", .warning, at: now)
            return
        }
        // The operator's configured grace first; else the planner's offer (whole seconds up), which the
        // first digit typed replaces, as a selected default in a text field would be.
        let planned = snapshot?.plan?.suggestedGraceSeconds.map { $0.rounded(.up) }.flatMap { $0 <= 86_400 ? $0 : nil }
        graceOffered = suggestedGrace == nil && planned != nil
        mode = .askGrace((suggestedGrace ?? planned).map(Self.formatGrace) ?? "")
    }

    private mutating func moveDeadline(by seconds: Double, at now: ContinuousClock.Instant) -> [DashboardCommand] {
        guard let target, connection == .live, let phase, phase == .draining || phase == .lameDuck else {
            show("+/- move the deadline only while draining; s starts a drain", .warning, at: now)
            return []
        }
        show("moving the deadline by \(seconds > 0 ? "+" : "")\(Self.formatGrace(seconds))s…", .info, at: now)
        return [.extend(target, seconds: seconds)]
    }

    private mutating func nextProcess(at now: ContinuousClock.Instant) -> [DashboardCommand] {
        let others = processes.map(\.entry)
        guard others.count > 1 || (others.count == 1 && others[0] != target) else {
            show("no other process in the run directory", .warning, at: now)
            return []
        }
        let current = others.firstIndex { $0 == target } ?? -1
        return [attach(others[(current + 1) % others.count])]
    }

    private mutating func graceKey(_ key: Key, text: String, at now: ContinuousClock.Instant) -> [DashboardCommand] {
        let step = GracePromptKey(key, text: text, replacing: graceOffered)
        // The offered grace is replaced by the first digit typed, and kept once edited.
        if case .edit = step { graceOffered = false }
        switch step {
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

    private mutating func confirmKey(_ key: Key, grace: Double?, at now: ContinuousClock.Instant) -> [DashboardCommand]
    {
        mode = .normal
        guard key == .character("y") || key == .character("Y") || key == .enter else {
            show("shutdown cancelled", .info, at: now)
            return []
        }
        guard let target, connection == .live else {
            show("not connected any more: nothing was sent", .warning, at: now)
            return []
        }
        show("shutdown requested…", .info, at: now)
        return [.shutdown(target, grace: grace)]
    }

    private mutating func pickerKey(_ key: Key, row: Int) -> [DashboardCommand] {
        switch key {
        case .up, .character("k"): mode = .picker(max(0, row - 1))
        case .down, .character("j"), .tab: mode = .picker(min(max(0, processes.count - 1), row + 1))
        case .enter:
            guard processes.indices.contains(row) else { return [] }
            let entry = processes[row].entry
            mode = .normal
            if entry == target, !connection.hasEnded { return [] }
            return [attach(entry)]
        case .character("q"), .character("Q"): return [.quit]
        case .escape, .character("p"), .character("P"):
            // With nothing attached yet there is nothing behind the list to go back to.
            if target != nil { mode = .normal }
        default: break
        }
        return []
    }

    /// `15`, `7.5`: a grace as typed.
    static func formatGrace(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
