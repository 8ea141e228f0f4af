import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking HTTP/1.1 client on plain sockets, so a test sees exactly what the kernel reports
/// (`ECONNREFUSED` once a listener is closed, EOF when a connection is dropped).
///
/// The one HTTP client of the tests: drain-demo's HTTP mode and the integration packages' examples.
public enum HTTPProbe {
    /// A response: the status, the headers (names lower-cased) and the body.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: String
    }

    /// Where the exchange failed, with the `errno` the kernel gave.
    public struct Failure: Error, CustomStringConvertible {
        public var stage: String
        public var errno: Int32
        public var description: String { "\(stage) failed: \(String(cString: strerror(errno)))" }
    }

    /// Runs blocking socket code on its own thread, so it never holds a thread of the concurrency pool.
    public static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: body()) }.start()
        }
    }

    /// Connects to 127.0.0.1:port; errno 0 on success, with how long `connect` took.
    public static func connect(port: Int) -> (fd: Int32, errno: Int32, seconds: Double) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let started = Date()
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        let error = result == 0 ? 0 : Glibc.errno
        if result != 0 { close(fd) }
        return (result == 0 ? fd : -1, error, Date().timeIntervalSince(started))
    }

    /// One GET on a fresh connection.
    public static func get(port: Int, path: String) -> Result<Response, Failure> {
        let connection = connect(port: port)
        guard connection.errno == 0 else { return .failure(Failure(stage: "connect", errno: connection.errno)) }
        defer { close(connection.fd) }
        return exchange(fd: connection.fd, path: path, keepAlive: true)
    }

    /// Sends one GET and reads its response (head, then `Content-Length` bytes of body).
    public static func exchange(fd: Int32, path: String, keepAlive: Bool) -> Result<Response, Failure> {
        let connection = keepAlive ? "keep-alive" : "close"
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: \(connection)\r\n\r\n"
        let sent = request.utf8CString.withUnsafeBytes { write(fd, $0.baseAddress, $0.count - 1) }
        guard sent > 0 else { return .failure(Failure(stage: "write", errno: errno)) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if let split = find(Array("\r\n\r\n".utf8), in: bytes) {
                let head = String(decoding: bytes[..<split], as: UTF8.self).components(separatedBy: "\r\n")
                var headers: [String: String] = [:]
                for line in head.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    headers[line[..<colon].lowercased()] = value
                }
                let length = Int(headers["content-length"] ?? "0") ?? 0
                if bytes.count - (split + 4) >= length {
                    let status = Int(head[0].split(separator: " ").dropFirst().first ?? "") ?? 0
                    let body = String(decoding: bytes[(split + 4)..<(split + 4 + length)], as: UTF8.self)
                    return .success(Response(status: status, headers: headers, body: body))
                }
            }
            let n = read(fd, &buffer, buffer.count)
            if n < 0 { return .failure(Failure(stage: "read", errno: errno)) }
            if n == 0 { return .failure(Failure(stage: "read (EOF before a full response)", errno: 0)) }
            bytes += buffer[..<n]
        }
    }

    /// Whether the peer closes the connection (EOF or reset) within `timeout` seconds.
    public static func readsEOF(fd: Int32, timeout: Double) -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout * 1000)) > 0 else { return false }
        var byte: UInt8 = 0
        return read(fd, &byte, 1) <= 0
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count)
        where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}
