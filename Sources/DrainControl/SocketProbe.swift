#if canImport(Glibc)
    import Glibc
#endif

/// What is at a socket path: a live listener, a stale file, or nothing.
public enum SocketProbe: Sendable, Equatable {
    case live
    case stale
    case missing

    /// Tries a plain `connect` (no NIO, no request): a refused connection means nobody listens.
    public static func probe(path: String) -> SocketProbe {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .missing }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else { return .stale }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return .stale }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return .stale }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        // EAGAIN: the listener's backlog is full, which still means someone is listening.
        return result == 0 || errno == EAGAIN ? .live : .stale
    }
}
