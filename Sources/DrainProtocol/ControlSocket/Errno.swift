#if canImport(Glibc)
    import Glibc
#endif

/// An `errno` value from a system call, for the package's thin POSIX helpers
/// (``UnixSocket``, `ChildSpawn`); each caller turns it into its own error with a message.
package struct Errno: Error, Equatable {
    package var code: Int32
    package init(_ code: Int32) { self.code = code }
    /// The system's text for it (`strerror`).
    package var description: String { String(cString: strerror(code)) }
}
