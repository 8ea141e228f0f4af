#if canImport(Glibc)
    import Glibc
#endif

/// Plain blocking Unix-socket calls, for the places that must not start an event loop: the liveness probe
/// (``SocketProbe``, which the server uses too), the client, `top`'s subscription reader, and the tests that
/// speak raw bytes or play a fake server.
package enum UnixSocket {
    /// Calls `body` with `path` as a `sockaddr_un`; `ENAMETOOLONG` when it does not fit.
    package static func withAddress<T>(
        _ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T
    ) -> Result<T, Errno> {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return .failure(Errno(ENAMETOOLONG)) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return .success(
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            })
    }

    /// A connected, blocking, close-on-exec socket, or the `errno` of the failing call.
    package static func connect(_ path: String) -> Result<Int32, Errno> {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(Errno(errno)) }
        let result = withAddress(path) { Glibc.connect(fd, $0, $1) == 0 ? 0 : errno }
        switch result {
        case .success(0): return .success(fd)
        case .success(let code):
            close(fd)
            return .failure(Errno(code))
        case .failure(let error):
            close(fd)
            return .failure(error)
        }
    }

    /// Writes all of `bytes`, retrying short writes; never raises SIGPIPE (`MSG_NOSIGNAL`).
    package static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Result<Void, Errno> {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes {
                send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                if errno == EINTR { continue }
                return .failure(Errno(errno))
            }
            offset += sent
        }
        return .success(())
    }
}
