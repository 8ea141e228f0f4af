#if canImport(Glibc)
    import Glibc
#endif

/// The pid, uid and gid of the process on the other end of a Unix socket (SO_PEERCRED).
///
/// Laid out exactly as Linux's `struct ucred` (three 32-bit fields), which Swift's Glibc module does not
/// export, so it can be read with `getsockopt` directly.
public struct PeerCredentials: Sendable, Hashable, CustomStringConvertible {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    /// Whether this peer may use the socket: the server's own uid, or root.
    public func isAllowed(serverUID: UInt32 = geteuid()) -> Bool { uid == serverUID || uid == 0 }

    public var description: String { "pid \(pid) uid \(uid)" }
}
