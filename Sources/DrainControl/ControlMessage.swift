import Drain
import Foundation

/// One line from the server: a reply to a request, or a pushed snapshot or event.
///
/// Replies have `type` `result` or `error` and echo the request's `id`; a subscription pushes `snapshot`
/// and `event` lines and, when the process stops, a final `event` whose `kind` is `stopped` carrying
/// the shutdown report.
public struct ControlMessage: Sendable, Codable {
    public enum MessageType: String, Sendable, Codable {
        case result
        case error
        case snapshot
        case event
    }

    /// The body of an error reply.
    public struct ErrorBody: Sendable, Codable, Hashable {
        public var code: String
        public var message: String
    }

    /// The body of a `hello` reply.
    public struct Hello: Sendable, Codable, Hashable {
        public var version: Int
        public var name: String
        public var pid: Int32
        public var phase: DrainPhase
        public var operations: [String]
    }

    public var v: Int
    public var id: Int?
    public var type: MessageType
    public var ok: Bool?
    public var error: ErrorBody?
    public var hello: Hello?
    public var snapshot: PoolSnapshot?
    public var event: DrainEvent?
    /// `subscribe`: the interval granted, in milliseconds.
    public var intervalMs: Int?

    init(id: Int?, type: MessageType) {
        self.v = ControlProtocol.version
        self.id = id
        self.type = type
        if type == .result { ok = true }
        if type == .error { ok = false }
    }

    static func failure(id: Int?, _ code: WireErrorCode, _ message: String) -> ControlMessage {
        var reply = ControlMessage(id: id, type: .error)
        reply.error = ErrorBody(code: code.rawValue, message: message)
        return reply
    }
}

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

extension JSONEncoder {
    /// The encoder for wire lines, server's and client's: compact, snake_case, ISO-8601 dates.
    static var wire: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
