/// An error from the control socket, the run directory or the client.
///
/// Match on ``code``; `drainctl` maps codes to exit codes and ``message`` is what it prints.
public struct ControlError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable identifier for the kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let rawValue: String

        /// The run directory is a symlink, owned by someone else, or cannot be created.
        public static let unsafeRunDirectory = Code(rawValue: "unsafe_run_directory")
        /// Another live process already serves this socket path.
        public static let socketInUse = Code(rawValue: "socket_in_use")
        /// The socket path is longer than a Unix socket address allows.
        public static let pathTooLong = Code(rawValue: "path_too_long")
        /// No process to talk to: no socket, or nothing listening on it.
        public static let notFound = Code(rawValue: "not_found")
        /// Several processes match and none was chosen.
        public static let ambiguous = Code(rawValue: "ambiguous")
        /// The connection failed or was lost before the answer came.
        public static let connectionLost = Code(rawValue: "connection_lost")
        /// The server answered with an error reply; its code is in the message.
        public static let refused = Code(rawValue: "refused")
        /// The server sent something that is not protocol v1.
        public static let protocolViolation = Code(rawValue: "protocol_violation")

        public var description: String { rawValue }
    }

    public var code: Code
    public var message: String
    /// For ``Code/refused``: the server's error code (a ``WireErrorCode`` raw value, or one this build does
    /// not know), so a client can tell `unknown_operation` (a server too old for the request) from the rest.
    public var serverCode: String?

    public init(_ code: Code, _ message: String, serverCode: String? = nil) {
        self.code = code
        self.message = message
        self.serverCode = serverCode
    }

    public var description: String { message }
}
