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

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    /// The body of a `hello` reply.
    public struct Hello: Sendable, Codable, Hashable {
        public var version: Int
        public var name: String
        public var pid: Int32
        public var phase: DrainPhase
        public var operations: [String]

        public init(version: Int, name: String, pid: Int32, phase: DrainPhase, operations: [String]) {
            self.version = version
            self.name = name
            self.pid = pid
            self.phase = phase
            self.operations = operations
        }
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

    private enum CodingKeys: String, CodingKey {
        case v, id, type, ok, error, hello, snapshot, event
        case intervalMs = "interval_ms"
    }

    package init(id: Int?, type: MessageType) {
        self.v = ControlProtocol.version
        self.id = id
        self.type = type
        if type == .result { ok = true }
        if type == .error { ok = false }
    }

    package static func failure(id: Int?, _ code: WireErrorCode, _ message: String) -> ControlMessage {
        var reply = ControlMessage(id: id, type: .error)
        reply.error = ErrorBody(code: code.rawValue, message: message)
        return reply
    }
}
