/// The stable error codes of protocol v1, documented in docs/PROTOCOL.md. The last four only ever come as
/// the last line of a connection the server closes. Clients must accept codes they do not know: codes are
/// added without a new version (`no_history`, `not_found` and `journal_failed` came with `history`).
public enum WireErrorCode: String, Sendable, CaseIterable {
    case badJSON = "bad_json"
    case badRequest = "bad_request"
    case unknownOperation = "unknown_operation"
    case unsupportedVersion = "unsupported_version"
    case lineTooLong = "line_too_long"
    case tooManyClients = "too_many_clients"
    case forbidden
    case invalidArgument = "invalid_argument"
    case notDraining = "not_draining"
    case alreadyStopped = "already_stopped"
    case internalError = "internal"
    /// `history` on a pool whose journal keeps no drain history (an in-memory journal).
    case noHistory = "no_history"
    /// `history` with a `drain_id` the history does not keep (never recorded, or pruned).
    case notFound = "not_found"
    /// The journal could not be read (or written): its error is in the message.
    case journalFailed = "journal_failed"
    /// The connection is closed: it sent no request for the idle timeout and is not subscribed.
    case idleTimeout = "idle_timeout"
    /// The connection is closed: the client fell too far behind, or took no line for the write timeout.
    case slowClient = "slow_client"
    /// The connection is closed: it sent more requests than may wait before it was admitted.
    case requestFlood = "request_flood"
    /// The connection is closed: the server is stopping.
    case serverStopping = "server_stopping"
}
