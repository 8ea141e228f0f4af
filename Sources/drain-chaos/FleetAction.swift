import DrainProtocol

/// What the fleet harness does to one drain-demo of the fleet, or to the database under all of them.
enum FleetAction: Sendable, Hashable, CustomStringConvertible {
    case sigterm
    case doubleSigterm(gap: Double)
    case sigkill
    case socketShutdown(grace: Double)
    /// PostgreSQL stopped at once (like a crash) and started again after `down` seconds.
    case databaseRestart(down: Double)

    /// Draws one action, each kind equally often.
    static func random(using generator: inout SeededGenerator) -> FleetAction {
        switch Int.random(in: 0..<5, using: &generator) {
        case 0: .sigterm
        case 1: .doubleSigterm(gap: Double.random(in: 0.05...0.5, using: &generator))
        case 2: .sigkill
        case 3: .socketShutdown(grace: Double.random(in: 0...1.5, using: &generator))
        default: .databaseRestart(down: Double.random(in: 0.2...1.5, using: &generator))
        }
    }

    /// Whether the action ends one drain-demo (the database restart leaves them all running).
    var stopsAWorker: Bool {
        if case .databaseRestart = self { return false }
        return true
    }

    /// The name in the report's counts.
    var kind: String {
        switch self {
        case .sigterm: "sigterm"
        case .doubleSigterm: "double_sigterm"
        case .sigkill: "sigkill"
        case .socketShutdown: "socket_shutdown"
        case .databaseRestart: "database_restart"
        }
    }

    var description: String {
        func s(_ value: Double) -> String { DurationFormat.fixed(value, places: 2) + "s" }
        switch self {
        case .sigterm: return "SIGTERM"
        case .doubleSigterm(let gap): return "SIGTERM, SIGTERM again after \(s(gap))"
        case .sigkill: return "SIGKILL"
        case .socketShutdown(let grace): return "shutdown grace \(s(grace))"
        case .databaseRestart(let down): return "PostgreSQL down for \(s(down))"
        }
    }
}
