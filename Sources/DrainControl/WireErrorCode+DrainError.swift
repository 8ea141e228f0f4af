import Drain
import DrainProtocol

extension WireErrorCode {
    /// The wire code for a failure of the pool, so a client sees what really went wrong.
    ///
    /// A range the server did not check itself stays `invalid_argument`, a deadline moved outside a drain
    /// is `not_draining`, a pool that no longer accepts commands is `already_stopped`, a journal that
    /// cannot be read is `journal_failed`; anything else is the server's fault (`internal`).
    init(_ error: DrainError) {
        switch error.code {
        case .invalidArgument: self = .invalidArgument
        case .notRunning: self = .notDraining
        case .notAccepting: self = .alreadyStopped
        case .journal: self = .journalFailed
        default: self = .internalError
        }
    }
}
