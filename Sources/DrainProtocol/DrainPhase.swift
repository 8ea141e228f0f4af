/// Where a ``WorkerPool`` is in its life.
///
/// Phases only move forward: `running → lameDuck → draining → forcing → stopped`. The lame duck and the
/// forcing phases are skipped when they are not needed.
public enum DrainPhase: String, Sendable, Codable, Comparable, CaseIterable, CustomStringConvertible {
    /// Accepting and running work.
    case running
    /// Still accepting and running work, but reporting not-ready so load balancers stop routing first.
    case lameDuck = "lame_duck"
    /// Refusing new work, finishing what is in flight before the deadline.
    case draining
    /// The deadline passed (or a second SIGTERM, or SIGQUIT): in-flight work is being cancelled.
    case forcing
    /// Nothing runs any more; the shutdown report is final.
    case stopped

    /// Whether `submit` and tracked operations are accepted in this phase.
    public var acceptsWork: Bool { self == .running || self == .lameDuck }

    /// Whether the process should report itself ready to a load balancer.
    public var isReady: Bool { self == .running }

    public var description: String { rawValue }

    private var order: Int {
        switch self {
        case .running: 0
        case .lameDuck: 1
        case .draining: 2
        case .forcing: 3
        case .stopped: 4
        }
    }

    public static func < (lhs: DrainPhase, rhs: DrainPhase) -> Bool { lhs.order < rhs.order }
}
