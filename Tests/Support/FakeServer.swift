import DrainProtocol
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A Unix socket that accepts connections like a service would, then answers what a test scripts:
/// something that is not the control protocol, so `top` meets a real decoding failure, or an older
/// server's answers (`drainctl report` asking a server from before `history`).
public final class FakeServer: Sendable {
    /// What it writes once a connection sent its first line.
    public enum Answer: String, CaseIterable, Sendable {
        /// Bytes that are not JSON at all, as if the socket belonged to an HTTP server.
        case garbage
        /// A valid reply to `subscribe`, then a snapshot line that does not decode (a number for a name).
        case badSnapshot

        public var bytes: String {
            switch self {
            case .garbage: "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
            case .badSnapshot:
                "{\"v\":1,\"id\":1,\"type\":\"result\",\"ok\":true,\"interval_ms\":100}\n"
                    + "{\"v\":1,\"type\":\"snapshot\",\"snapshot\":{\"name\":42,\"phase\":\"sideways\"}}\n"
            }
        }
    }

    public let path: String
    private let core: Core

    /// Listens on `path` and answers every connection on a thread of its own until deinit.
    public convenience init(path: String, answer: Answer) throws {
        try self.init(path: path, replies: [answer.bytes])
    }

    /// Listens on `path`; on every connection, writes `replies[n]` after the client's line `n`, then holds
    /// the connection open. With `first`, the first connection that sends a line gets those replies instead
    /// and is then closed, as by a server that ends a subscription on purpose while it keeps running.
    public init(path: String, replies: [String], first: [String]? = nil) throws {
        self.path = path
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        let bound = UnixSocket.withAddress(path) { bind(fd, $0, $1) }
        guard case .success(0) = bound, listen(fd, 8) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        // The thread holds the core, not the server, so the server's deinit can stop it; the thread closes
        // the listener itself once it stopped using it, so deinit never waits on the test's task.
        let core = Core(listener: fd)
        self.core = core
        let thread = Thread {
            core.serve(replies, first: first)
            close(fd)
            unlink(path)
        }
        thread.start()
    }

    /// The lines clients sent, in order, over every connection.
    public var requests: [String] { core.requests.withLock { $0 } }

    deinit {
        core.stopped.store(true, ordering: .sequentiallyConsistent)
    }
}

/// The listening socket and the flags its thread watches.
private final class Core: Sendable {
    let listener: Int32
    let stopped = Atomic<Bool>(false)
    let requests = Mutex<[String]>([])

    init(listener: Int32) { self.listener = listener }

    func serve(_ replies: [String], first: [String]?) {
        var first = first
        while !stopped.load(ordering: .sequentiallyConsistent) {
            // Poll with a timeout so deinit can end the loop without closing a descriptor in use.
            var waiting = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&waiting, 1, 50) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            // A client that connects and neither writes nor closes must not hold up deinit for long.
            var limit = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            // Wait for each request line; a probe (connect, then close) sends nothing and is skipped.
            var answered = 0
            let closing = first
            let replies = closing ?? replies
            while answered < replies.count, let line = readLine(client) {
                requests.withLock { $0.append(line) }
                var text = replies[answered]
                text.withUTF8 { _ = send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                answered += 1
            }
            if answered > 0, closing != nil {
                first = nil
            } else if answered > 0 {
                // Hold the connection open: the client must give up on what it read, not on a close.
                var held = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
                while !stopped.load(ordering: .sequentiallyConsistent), poll(&held, 1, 50) == 0 {}
            }
            close(client)
        }
    }

    /// One line from `client`, without its newline; nil when it closed or stayed silent.
    private func readLine(_ client: Int32) -> String? {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while read(client, &byte, 1) == 1 {
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
        return nil
    }
}
