import DrainClient
import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// How `drainctl top` runs: which processes, how often, and how it looks.
public struct DashboardConfiguration: Sendable {
    /// Where to look for processes, and for new ones while watching.
    public var runDirectory: RunDirectory
    /// One process's socket (`--socket`); nil picks the single process of the run directory, or opens
    /// the process list when there are several.
    public var socket: String?
    /// What the shutdown dialogue proposes; nil proposes the service's own default.
    public var suggestedGrace: Double?
    /// How often the server pushes a snapshot.
    public var snapshotInterval: Duration = .milliseconds(100)
    /// The longest wait for a key, so at most this long between frames.
    public var frameInterval: Duration = .milliseconds(100)
    /// How often each process pushes a snapshot to the overview's row.
    public var overviewSnapshotInterval: Duration = .milliseconds(250)
    /// How often `top --postgres` reads the fleet from the shared journal.
    public var fleetInterval: Duration = .seconds(1)
    /// Opens the overview even with one process (`top --all`); with several it opens anyway.
    public var overview = false
    /// How often the run directory is checked for processes that came or went.
    public var discoveryInterval: Duration = .seconds(1)
    /// False when `NO_COLOR` is set (https://no-color.org): styles use bold and reverse only.
    public var useColor: Bool
    /// The environment, for `TERM` and `NO_COLOR`.
    public var environment: [String: String]

    /// - Parameters:
    ///   - runDirectory: Where to look for processes.
    ///   - socket: One process's socket, or nil.
    ///   - suggestedGrace: What the shutdown dialogue proposes.
    ///   - environment: Read for `NO_COLOR` and `TERM`.
    public init(
        runDirectory: RunDirectory, socket: String? = nil, suggestedGrace: Double? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.runDirectory = runDirectory
        self.socket = socket
        self.suggestedGrace = suggestedGrace
        self.environment = environment
        self.useColor = (environment["NO_COLOR"] ?? "").isEmpty
    }
}
