/// The stable error codes of protocol v1, documented in docs/PROTOCOL.md.
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
}
