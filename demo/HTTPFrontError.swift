/// Why the HTTP front could not start.
struct HTTPFrontError: Error, CustomStringConvertible {
    /// A stable identifier for the kind of failure.
    enum Code: String {
        /// `--http` is not `HOST:PORT`.
        case badAddress = "bad_address"
        /// The listening socket could not be bound.
        case bind
        /// The bound port could not be written to `--http-port-file`.
        case portFile = "port_file"
    }

    var code: Code
    var message: String
    var cause: (any Error)?

    init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    var description: String { message + (cause.map { ": \($0)" } ?? "") }
}
