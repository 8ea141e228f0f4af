/// One line from the server: a reply to a request, or a pushed snapshot or event.
///
/// Each case is one shape the wire can carry, so a reply cannot be half a hello and half an error:
/// ```json
/// {"hello":{…},"id":1,"ok":true,"type":"result","v":1}
/// {"id":2,"ok":true,"snapshot":{…},"type":"result","v":1}
/// {"id":3,"interval_ms":500,"ok":true,"type":"result","v":1}
/// {"drains":[{"id":42,"report":{…}}],"id":7,"ok":true,"type":"result","v":1}
/// {"error":{"code":"bad_json","message":"…"},"ok":false,"type":"error","v":1}
/// {"snapshot":{…},"type":"snapshot","v":1}
/// {"event":{…},"type":"event","v":1}
/// ```
/// Replies echo the request's `id`. When the process stops, a subscription's last `event` has `kind`
/// `stopped` and carries the shutdown report.
public enum ControlMessage: Sendable, Hashable, Codable {
    /// The reply to `hello`.
    case hello(id: Int?, Hello)
    /// The reply to `status`, `shutdown`, `extend` and `force`: the pool after the request.
    case status(id: Int?, PoolSnapshot)
    /// The reply to `subscribe`: the interval granted, in milliseconds.
    case subscribed(id: Int?, intervalMs: Int)
    /// The reply to `history`: drains of the journal's drain history, newest first (one, when the request
    /// named it), each with its report.
    case history(id: Int?, [DrainHistoryEntry])
    /// The request failed; `id` is nil when the line could not be read far enough to find it.
    case error(id: Int?, ErrorBody)
    /// Pushed to a subscriber every interval.
    case snapshot(PoolSnapshot)
    /// Pushed to a subscriber for every event.
    case event(DrainEvent)

    /// The `type` field: what kind of line this is.
    public enum MessageType: String, Sendable, Codable {
        case result
        case error
        case snapshot
        case event
    }

    /// The body of an error reply.
    public struct ErrorBody: Sendable, Codable, Hashable {
        /// A ``WireErrorCode`` raw value; clients must accept codes they do not know.
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

    /// An error reply with a stable code.
    public static func failure(id: Int?, _ code: WireErrorCode, _ message: String) -> ControlMessage {
        .error(id: id, ErrorBody(code: code.rawValue, message: message))
    }

    public var type: MessageType {
        switch self {
        case .hello, .status, .subscribed, .history: .result
        case .error: .error
        case .snapshot: .snapshot
        case .event: .event
        }
    }

    /// The request's id, echoed by replies; nil on pushed lines.
    public var id: Int? {
        switch self {
        case .hello(let id, _), .status(let id, _), .subscribed(let id, _), .history(let id, _), .error(let id, _):
            id
        case .snapshot, .event: nil
        }
    }

    /// The snapshot of a `status` reply or of a pushed snapshot.
    public var snapshot: PoolSnapshot? {
        switch self {
        case .status(_, let snapshot), .snapshot(let snapshot): snapshot
        default: nil
        }
    }

    public var event: DrainEvent? {
        if case .event(let event) = self { return event }
        return nil
    }

    public var hello: Hello? {
        if case .hello(_, let hello) = self { return hello }
        return nil
    }

    public var error: ErrorBody? {
        if case .error(_, let body) = self { return body }
        return nil
    }

    /// The drains of a `history` reply.
    public var drains: [DrainHistoryEntry]? {
        if case .history(_, let drains) = self { return drains }
        return nil
    }

    private enum CodingKeys: String, CodingKey {
        case v, id, type, ok, error, hello, snapshot, event, drains
        case intervalMs = "interval_ms"
    }

    /// The `userInfo` key whose `Int` value is the `v` a line carries (``ControlProtocol/version`` without it).
    public static let versionKey = CodingUserInfoKey(rawValue: "drain.protocol.version")!

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(encoder.userInfo[Self.versionKey] as? Int ?? ControlProtocol.version, forKey: .v)
        try container.encode(type, forKey: .type)
        try container.encodeIfPresent(id, forKey: .id)
        switch self {
        case .hello(_, let hello):
            try container.encode(true, forKey: .ok)
            try container.encode(hello, forKey: .hello)
        case .status(_, let snapshot):
            try container.encode(true, forKey: .ok)
            try container.encode(snapshot, forKey: .snapshot)
        case .subscribed(_, let intervalMs):
            try container.encode(true, forKey: .ok)
            try container.encode(intervalMs, forKey: .intervalMs)
        case .history(_, let drains):
            try container.encode(true, forKey: .ok)
            try container.encode(drains, forKey: .drains)
        case .error(_, let body):
            try container.encode(false, forKey: .ok)
            try container.encode(body, forKey: .error)
        case .snapshot(let snapshot):
            try container.encode(snapshot, forKey: .snapshot)
        case .event(let event):
            try container.encode(event, forKey: .event)
        }
    }

    /// Reads the shape the `type` and the body present say; a `result` without a known body is an error.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let id = try container.decodeIfPresent(Int.self, forKey: .id)
        switch try container.decode(MessageType.self, forKey: .type) {
        case .result:
            if let hello = try container.decodeIfPresent(Hello.self, forKey: .hello) {
                self = .hello(id: id, hello)
            } else if let snapshot = try container.decodeIfPresent(PoolSnapshot.self, forKey: .snapshot) {
                self = .status(id: id, snapshot)
            } else if let interval = try container.decodeIfPresent(Int.self, forKey: .intervalMs) {
                self = .subscribed(id: id, intervalMs: interval)
            } else if let drains = try container.decodeIfPresent([DrainHistoryEntry].self, forKey: .drains) {
                self = .history(id: id, drains)
            } else {
                throw DecodingError.dataCorruptedError(
                    forKey: .type, in: container,
                    debugDescription: "a result without hello, snapshot, interval_ms or drains")
            }
        case .error:
            self = .error(id: id, try container.decode(ErrorBody.self, forKey: .error))
        case .snapshot:
            self = .snapshot(try container.decode(PoolSnapshot.self, forKey: .snapshot))
        case .event:
            self = .event(try container.decode(DrainEvent.self, forKey: .event))
        }
    }
}
