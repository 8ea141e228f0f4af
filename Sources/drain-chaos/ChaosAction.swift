import DrainProtocol

/// What the harness does to a demo under load, and the parameters it drew for it.
enum ChaosAction: Sendable, Hashable {
    /// How a deadline is moved while draining.
    enum Move: Sendable, Hashable {
        /// `extend` by this many seconds (negative shortens; into the past forces at once).
        case extend(seconds: Double)
        /// A second `shutdown`: the deadline becomes `grace` seconds from now.
        case reshutdown(grace: Double)
    }

    /// The kinds counted in the report.
    enum Kind: String, Sendable, Hashable, CaseIterable, Comparable {
        case sigterm
        case doubleSigterm = "double_sigterm"
        case sigkill
        case socketShutdown = "socket_shutdown"
        case movedDeadline = "moved_deadline"

        static func < (lhs: Kind, rhs: Kind) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// SIGTERM: drain with the demo's `--grace`.
    case sigterm
    /// SIGTERM, then another after `gap` seconds, which forces the drain.
    case doubleSigterm(gap: Double)
    /// SIGKILL: no drain at all.
    case sigkill
    /// `shutdown` over the control socket with this grace (sometimes shorter than the jobs).
    case socketShutdown(grace: Double)
    /// `shutdown` with `grace`, then after `after` seconds the deadline is moved.
    case movedDeadline(grace: Double, after: Double, move: Move)

    var kind: Kind {
        switch self {
        case .sigterm: .sigterm
        case .doubleSigterm: .doubleSigterm
        case .sigkill: .sigkill
        case .socketShutdown: .socketShutdown
        case .movedDeadline: .movedDeadline
        }
    }

    /// The outcomes the demo may legitimately end with after this action.
    var expectedOutcomes: Set<ChaosRecord.Outcome> {
        self == .sigkill ? [.killed] : [.clean, .forced]
    }

    /// One line for people and for reproducing a finding.
    var summary: String {
        func s(_ value: Double) -> String { DurationFormat.fixed(value, places: 2) + "s" }
        switch self {
        case .sigterm: return "SIGTERM"
        case .doubleSigterm(let gap): return "SIGTERM, SIGTERM again after \(s(gap))"
        case .sigkill: return "SIGKILL"
        case .socketShutdown(let grace): return "shutdown grace \(s(grace))"
        case .movedDeadline(let grace, let after, .extend(let seconds)):
            return "shutdown grace \(s(grace)), extend by \(s(seconds)) after \(s(after))"
        case .movedDeadline(let grace, let after, .reshutdown(let again)):
            return "shutdown grace \(s(grace)), shutdown grace \(s(again)) after \(s(after))"
        }
    }
}
