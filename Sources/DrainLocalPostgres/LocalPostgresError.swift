/// Why a ``LocalPostgres`` could not start, stop or run a tool.
///
/// Match on ``code``; ``message`` names the tool, its arguments and its output, or the Debian package to
/// install.
package struct LocalPostgresError: Error, CustomStringConvertible {
    /// A stable identifier for the kind of failure.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        let rawValue: String

        /// `initdb`, `pg_ctl` or `psql` is not installed.
        package static let notInstalled = Code(rawValue: "not_installed")
        /// A PostgreSQL tool could not be started or ended with an error.
        package static let toolFailed = Code(rawValue: "tool_failed")
        /// A system call failed (a temporary directory, a free port).
        package static let system = Code(rawValue: "system")

        package var description: String { rawValue }
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}
