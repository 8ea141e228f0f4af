import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking connection to one process's control socket: plain system calls, no event loop, no thread.
///
/// The cheapest way to ask one question, which is what `drainctl status` does:
/// ```swift
/// let connection = try ControlConnection(path: socket)
/// let snapshot = try connection.status(timeout: .seconds(5))
/// ```
/// For a subscription followed from async code, use ``ControlClient``.
public final class ControlConnection {
    /// The socket this connection is connected to.
    public let path: String
    /// Shared with ``ControlClient``'s reader thread, which may outlive this object by one read.
    package let socket: SocketDescriptor
    private var reader: LineReader
    private var nextID = 1
    /// Pushed lines that arrived while waiting for a reply, handed out by ``next(timeout:)`` first.
    private var pushed: [ControlMessage] = []

    /// Connects to `path`.
    /// - Throws: ``ControlError`` `notFound` when nothing listens there, `pathTooLong` when the path does
    ///   not fit a socket address.
    public init(path: String) throws(ControlError) {
        self.path = path
        switch UnixSocket.connect(path) {
        case .success(let fd):
            socket = SocketDescriptor(fd)
            reader = LineReader(fd: fd)
        case .failure(let error) where error.code == ENAMETOOLONG:
            throw ControlError(.pathTooLong, "the socket path \(path) is too long for a Unix socket")
        case .failure(let error) where error.code == ECONNREFUSED:
            throw ControlError(
                .notFound, "nothing is listening on \(path) (a stale socket; `drainctl ls --prune` removes it)")
        case .failure(let error) where error.code == ENOENT:
            throw ControlError(.notFound, "there is no socket at \(path)")
        case .failure(let error):
            throw ControlError(.notFound, "cannot connect to \(path): \(error.description)")
        }
    }

    /// Sends one request and returns its reply, keeping pushed lines that arrive meanwhile for ``next(timeout:)``.
    /// - Parameter timeout: How long to wait for the reply; nil waits as long as it takes.
    /// - Throws: ``ControlError`` `refused` with the server's code and message for an error reply,
    ///   `connectionLost` when the server goes away or does not answer in time.
    @discardableResult
    public func send(_ request: ControlRequest, timeout: Duration? = nil) throws(ControlError) -> ControlMessage {
        let id = try write(request)
        let deadline = timeout.map(Monotonic.deadline(after:))
        while let message = try receive(deadline: deadline) {
            if let reply = try Self.reply(message, to: id) { return reply }
            pushed.append(message)
        }
        throw ControlError(.connectionLost, "the process at \(path) closed the connection before answering")
    }

    /// Writes a request line with the next id, and returns that id.
    package func write(_ request: ControlRequest) throws(ControlError) -> Int {
        var request = request
        let id = nextID
        nextID += 1
        request.id = id
        let line: [UInt8]
        do {
            line = Array(try JSONEncoder.drain.encode(request)) + [UInt8(ascii: "\n")]
        } catch {
            throw ControlError(.protocolViolation, "cannot encode the request: \(error)")
        }
        if case .failure(let error) = UnixSocket.writeAll(reader.fd, line) {
            throw ControlError(
                .connectionLost, "the connection to \(path) was lost while sending: \(error.description)")
        }
        return id
    }

    /// `message` if it answers request `id`; nil for a pushed line.
    /// - Throws: ``ControlError`` `refused` for an error reply.
    package static func reply(_ message: ControlMessage, to id: Int) throws(ControlError) -> ControlMessage? {
        guard message.type == .result || message.type == .error else { return nil }
        if message.type == .error, let error = message.error {
            throw ControlError(.refused, "\(error.code): \(error.message)", serverCode: error.code)
        }
        return message.id == id || message.id == nil ? message : nil
    }

    /// The next line from the server, or nil when it closed the connection cleanly.
    /// - Throws: ``ControlError`` `connectionLost` on a reset or a timeout, `protocolViolation` on a line
    ///   that is not the protocol.
    public func next(timeout: Duration? = nil) throws(ControlError) -> ControlMessage? {
        if !pushed.isEmpty { return pushed.removeFirst() }
        return try receive(deadline: timeout.map(Monotonic.deadline(after:)))
    }

    private func receive(deadline: UInt64?) throws(ControlError) -> ControlMessage? {
        while true {
            let line: ArraySlice<UInt8>?
            do {
                line = try reader.next(deadline: deadline)
            } catch {
                throw Self.error(error, path: path)
            }
            guard let line else { return nil }
            if line.isEmpty { continue }
            return try Self.decode(line, path: path)
        }
    }

    package static func decode(_ line: ArraySlice<UInt8>, path: String) throws(ControlError) -> ControlMessage {
        do {
            return try JSONDecoder.drain.decode(ControlMessage.self, from: Data(line))
        } catch {
            throw ControlError(.protocolViolation, "the server at \(path) sent a line that is not the protocol")
        }
    }

    package static func error(_ failure: LineReader.Failure, path: String) -> ControlError {
        switch failure {
        case .system(let errno):
            ControlError(.connectionLost, "the connection to \(path) was lost: \(errno.description)")
        case .timedOut:
            ControlError(.connectionLost, "\(path) did not answer in time")
        case .lineTooLong:
            ControlError(.protocolViolation, "the server at \(path) sent a line longer than 16 MiB")
        }
    }

    /// `hello`: the server's protocol version, name, pid and phase.
    public func hello(timeout: Duration? = nil) throws(ControlError) -> ControlMessage.Hello {
        guard let hello = try send(ControlRequest(op: .hello), timeout: timeout).hello else {
            throw ControlError(.protocolViolation, "the hello reply from \(path) has no body")
        }
        return hello
    }

    /// `status`: a snapshot of the pool.
    public func status(timeout: Duration? = nil) throws(ControlError) -> PoolSnapshot {
        try Self.snapshot(of: send(ControlRequest(op: .status), timeout: timeout), path: path)
    }

    /// `history`: drains of the process's drain history, newest first, each with its report.
    /// - Parameters:
    ///   - drainID: The one drain to read; nil for the newest `limit`.
    ///   - limit: How many of the newest to read (``ControlProtocol/historyLimits``).
    /// - Throws: ``ControlError`` `refused` with the server's ``ControlError/serverCode``: `not_found` (no
    ///   such drain kept), `no_history` (its journal keeps none), `journal_failed`, or `unknown_operation`
    ///   from a server older than the operation.
    public func history(
        drainID: Int64? = nil, limit: Int = ControlProtocol.defaultHistoryLimit, timeout: Duration? = nil
    ) throws(ControlError) -> [DrainHistoryEntry] {
        try Self.drains(of: send(Self.historyRequest(drainID: drainID, limit: limit), timeout: timeout), path: path)
    }

    /// The `history` request: one drain by its ID, or the newest `limit`.
    package static func historyRequest(drainID: Int64?, limit: Int) -> ControlRequest {
        ControlRequest(op: .history, drainID: drainID, limit: drainID == nil ? limit : nil)
    }

    package static func drains(of message: ControlMessage, path: String) throws(ControlError) -> [DrainHistoryEntry] {
        guard let drains = message.drains else {
            throw ControlError(.protocolViolation, "the history reply from \(path) has no drains")
        }
        return drains
    }

    package static func snapshot(of message: ControlMessage, path: String) throws(ControlError) -> PoolSnapshot {
        guard let snapshot = message.snapshot else {
            throw ControlError(.protocolViolation, "the reply from \(path) has no snapshot")
        }
        return snapshot
    }

    /// Ends the connection in both directions; the server sees the end at once. Later calls fail with
    /// `connectionLost`. The descriptor itself is closed when the connection is released.
    public func close() { socket.shutdown() }
}
