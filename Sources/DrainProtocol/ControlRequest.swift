/// One request line of protocol v1: `{"v":1,"id":1,"op":"status"}`.
///
/// Unknown fields are ignored, so newer clients can talk to older servers within the same version.
public struct ControlRequest: Sendable, Codable, Hashable {
    /// The operations this server understands, in every protocol version.
    ///
    /// `history` came after the others without a new version: a server from before it answers it with
    /// `unknown_operation`, which a client reads as "too old to serve its drain history".
    public enum Operation: String, Sendable, Codable, CaseIterable {
        case hello
        case status
        case subscribe
        case shutdown
        case extend
        case force
        case history
    }

    /// The protocol version (1 or 2); missing means 1. A `hello` or `subscribe` in version 2 makes the
    /// whole connection version 2 (docs/PROTOCOL.md, "Version 2").
    public var v: Int?
    /// Echoed in the reply so a client can match replies to requests.
    public var id: Int?
    public var op: String
    /// `shutdown`: seconds of grace, or `auto` for the service's planner; missing means the service's
    /// default.
    public var grace: ShutdownGrace?
    /// `shutdown` with `grace` `auto`: the longest grace the planner may take, in seconds (above 0, at most
    /// a day); missing means ``ControlProtocol/defaultMaxGrace``.
    public var maxGrace: Double?
    /// `shutdown`: why, shown in events and the report.
    public var reason: String?
    /// `subscribe`: milliseconds between snapshots (50...60000); missing means 1000.
    public var intervalMs: Int?
    /// `extend`: seconds to move the deadline by; negative shortens it.
    public var seconds: Double?
    /// `history`: the one drain to answer with, by its ID in the journal's drain history; missing means the
    /// newest drains, up to ``limit``. Not `id`, which every request already uses for its reply.
    public var drainID: Int64?
    /// `history`: how many of the newest drains to answer with (``ControlProtocol/historyLimits``); missing
    /// means ``ControlProtocol/defaultHistoryLimit``.
    public var limit: Int?

    /// - Parameter version: The `v` the line carries; ``ControlProtocol/version`` unless the client asks
    ///   for a newer one.
    public init(
        op: Operation, id: Int? = nil, grace: ShutdownGrace? = nil, maxGrace: Double? = nil, reason: String? = nil,
        intervalMs: Int? = nil,
        seconds: Double? = nil, drainID: Int64? = nil, limit: Int? = nil, version: Int = ControlProtocol.version
    ) {
        self.v = version
        self.id = id
        self.op = op.rawValue
        self.grace = grace
        self.maxGrace = maxGrace
        self.reason = reason
        self.intervalMs = intervalMs
        self.seconds = seconds
        self.drainID = drainID
        self.limit = limit
    }

    private enum CodingKeys: String, CodingKey {
        case v, id, op, grace, reason, seconds, limit
        case intervalMs = "interval_ms"
        case drainID = "drain_id"
        case maxGrace = "max_grace"
    }
}
