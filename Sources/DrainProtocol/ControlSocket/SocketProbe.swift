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
        switch UnixSocket.connect(path) {
        case .success(let fd):
            close(fd)
            return .live
        // EAGAIN: the listener's backlog is full, which still means someone is listening.
        case .failure(let error): return error.code == EAGAIN ? .live : .stale
        }
    }
}
