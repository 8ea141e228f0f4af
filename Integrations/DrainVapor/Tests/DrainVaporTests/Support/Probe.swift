import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking HTTP/1.1 client on plain sockets, so a test sees exactly what the kernel reports
/// (ECONNREFUSED once the listener is closed, EOF when a connection is dropped).
enum Probe {
    struct Response: Sendable {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    struct Failure: Error, CustomStringConvertible {
        var stage: String
        var errno: Int32
        var description: String { "\(stage) failed: \(String(cString: strerror(errno)))" }
    }

    /// Runs blocking socket code on its own thread, so it never holds a thread of the concurrency pool.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: body()) }.start()
        }
    }

    /// Connects to 127.0.0.1:port; errno 0 on success.
    static func connect(port: Int) -> (fd: Int32, errno: Int32) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        let error = result == 0 ? 0 : Glibc.errno
        if result != 0 { close(fd) }
        return (result == 0 ? fd : -1, error)
    }

    /// One GET on a fresh connection.
    static func get(port: Int, path: String) -> Result<Response, Failure> {
        let connection = connect(port: port)
        guard connection.errno == 0 else { return .failure(Failure(stage: "connect", errno: connection.errno)) }
        defer { close(connection.fd) }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n"
        let sent = request.utf8CString.withUnsafeBytes { write(connection.fd, $0.baseAddress, $0.count - 1) }
        guard sent > 0 else { return .failure(Failure(stage: "write", errno: errno)) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let separator = Array("\r\n\r\n".utf8)
        while true {
            if let split = bytes.indices.first(where: { bytes[$0...].starts(with: separator) }) {
                let head = String(decoding: bytes[..<split], as: UTF8.self).components(separatedBy: "\r\n")
                var headers: [String: String] = [:]
                for line in head.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...]
                        .trimmingCharacters(in: .whitespaces)
                }
                let length = Int(headers["content-length"] ?? "0") ?? 0
                if bytes.count - (split + 4) >= length {
                    let status = Int(head[0].split(separator: " ").dropFirst().first ?? "") ?? 0
                    let body = String(decoding: bytes[(split + 4)..<(split + 4 + length)], as: UTF8.self)
                    return .success(Response(status: status, headers: headers, body: body))
                }
            }
            let n = read(connection.fd, &buffer, buffer.count)
            if n < 0 { return .failure(Failure(stage: "read", errno: errno)) }
            if n == 0 { return .failure(Failure(stage: "read (EOF before a full response)", errno: 0)) }
            bytes += buffer[..<n]
        }
    }
}
