import DrainClient
import DrainProtocol

/// What the network side tells the screen: pushed lines, the end of a connection, the run directory.
///
/// Updates of a subscription carry its `session` number, so lines still in flight from a process the
/// user switched away from are recognised and dropped.
package enum FeedUpdate: Sendable {
    /// The subscription is established.
    case connected(session: Int)
    case snapshot(PoolSnapshot, session: Int)
    case event(DrainEvent, session: Int)
    /// The connection ended: `error` is nil when the server closed it cleanly.
    case ended(session: Int, error: String?)
    /// The watched socket does not speak the protocol (garbage, a line that does not decode): a
    /// misconfiguration `top` cannot show, so it ends with this message.
    case violation(session: Int, message: String)
    /// The live processes in the run directory now.
    case processes([ProcessEntry])
    /// One process's status for the process list; nil when it did not answer.
    case processStatus(ProcessEntry, PoolSnapshot?)
    /// The answer to a command (shutdown, extend), for the footer.
    case commandResult(String, ok: Bool)
}

/// What the screen asks the network side to do.
package enum DashboardCommand: Sendable, Hashable {
    /// Subscribe to `entry`, dropping any other subscription.
    case attach(ProcessEntry, session: Int)
    /// Start a drain, or move the deadline to `grace` from now if one is running.
    case shutdown(ProcessEntry, grace: Double?)
    /// Move the deadline of a drain by `seconds`.
    case extend(ProcessEntry, seconds: Double)
    /// Fetch the status of each process, for the process list.
    case refreshStatuses([ProcessEntry])
    case quit
}
