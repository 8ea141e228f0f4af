/// Why the dashboard could not run.
public struct DashboardError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable identifier for the kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let rawValue: String

        /// stdin or stdout is not a terminal (a pipe, a file, a CI log).
        public static let notATerminal = Code(rawValue: "not_a_terminal")
        /// curses cannot drive the terminal `TERM` names.
        public static let terminalUnavailable = Code(rawValue: "terminal_unavailable")
        /// ncursesw, which only the screens load, is not installed (Debian's `libncursesw6` package).
        public static let ncursesMissing = Code(rawValue: "ncurses_missing")
        /// The demo service could not be found or started.
        public static let spawnFailed = Code(rawValue: "spawn_failed")

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
