/// Who or what caused a transition: a signal, a control-socket client, the application, or the deadline.
///
/// Operators read this in the dashboard header and in every event ("drain started by drainctl pid 4242").
public struct DrainCause: Sendable, Hashable, Codable, CustomStringConvertible {
    /// What kind of cause this is.
    public enum Source: String, Sendable, Codable {
        case signal
        case client
        case application
        case deadline
        case serviceGroup = "service_group"
    }

    public var source: Source
    /// The signal's name (`SIGTERM`) when ``source`` is `signal`.
    public var signal: String?
    /// The peer's pid when ``source`` is `client`.
    public var pid: Int32?
    /// The peer's uid when ``source`` is `client`.
    public var uid: UInt32?
    /// A free-text reason given by the caller (`drainctl shutdown --reason`).
    public var reason: String?

    public init(source: Source, signal: String? = nil, pid: Int32? = nil, uid: UInt32? = nil, reason: String? = nil) {
        self.source = source
        self.signal = signal
        self.pid = pid
        self.uid = uid
        self.reason = reason
    }

    /// A signal delivered to the process.
    public static func signal(_ name: String) -> DrainCause { DrainCause(source: .signal, signal: name) }
    /// A control-socket client, identified by its peer credentials.
    public static func client(pid: Int32, uid: UInt32, reason: String? = nil) -> DrainCause {
        DrainCause(source: .client, pid: pid, uid: uid, reason: reason)
    }
    /// The embedding application called the API directly.
    public static let application = DrainCause(source: .application)
    /// The drain deadline passed.
    public static let deadline = DrainCause(source: .deadline)
    /// The surrounding `ServiceGroup` asked for a graceful shutdown.
    public static let serviceGroup = DrainCause(source: .serviceGroup)

    public var description: String {
        var text: String
        switch source {
        case .signal: text = signal ?? "signal"
        case .client: text = "drainctl pid \(pid.map(String.init) ?? "?") uid \(uid.map(String.init) ?? "?")"
        case .application: text = "application"
        case .deadline: text = "deadline"
        case .serviceGroup: text = "service group"
        }
        if let reason, !reason.isEmpty { text += " (\(reason))" }
        return text
    }

    private enum CodingKeys: String, CodingKey {
        case source, signal, pid, uid, reason
    }
}
