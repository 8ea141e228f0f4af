/// Why a child could not be started.
///
/// Match on ``code``; the ``message`` is what `drainctl` prints.
public struct SpawnError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable identifier for the kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let rawValue: String

        /// The executable is missing, or `posix_spawn` (or a pipe, a temporary directory) failed.
        public static let spawnFailed = Code(rawValue: "spawn_failed")
        /// The child started but exited, or did not get ready, before it could be used.
        public static let notReady = Code(rawValue: "not_ready")

        public var description: String { rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
