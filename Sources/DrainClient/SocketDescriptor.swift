#if canImport(Glibc)
    import Glibc
#endif

/// A socket descriptor that is closed when the last holder lets go.
///
/// A reader thread and the code that writes share one socket; whoever finishes first must not close
/// the descriptor under the other, or the number could be reused for an unrelated file in between.
package final class SocketDescriptor: Sendable {
    package let fd: Int32

    package init(_ fd: Int32) { self.fd = fd }

    /// Ends both directions: the peer sees the end, and a read blocked on it returns. Safe from any thread.
    package func shutdown() { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

    deinit { _ = Glibc.close(fd) }
}
