import DrainProtocol
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A connection to one process's control socket for async code: a subscription to follow, commands
/// to send on the way.
///
/// Lines are read by a thread of its own with blocking calls, never on the concurrency pool, and handed
/// over as they arrive. Cancelling the calling task wakes that thread and ends the connection. Use
/// ``withConnection(path:_:)``, which closes the socket when the body returns:
/// ```swift
/// let snapshot = try await ControlClient.withConnection(path: socket) { try await $0.status() }
/// ```
public final class ControlClient {
    private let connection: ControlConnection
    private var lines: AsyncStream<Result<ControlMessage, ControlError>>.AsyncIterator
    /// Pushed lines that arrived while waiting for a reply, handed out by ``next()`` first.
    private var pushed: [ControlMessage] = []

    /// The socket this client is connected to.
    public var path: String { connection.path }

    private init(connection: ControlConnection) throws(ControlError) {
        self.connection = connection
        let (stream, sink) = AsyncStream.makeStream(of: Result<ControlMessage, ControlError>.self)
        lines = stream.makeAsyncIterator()
        let reader = Reader(socket: connection.socket, path: connection.path, sink: sink)
        guard DetachedThread.start(name: "drainctl-reader", { reader.run() }) else {
            throw ControlError(.connectionLost, "cannot start a thread to read \(connection.path)")
        }
    }

    /// Connects, runs `body`, and closes.
    /// - Throws: ``ControlError`` `notFound` when nothing listens at `path`, `connectionLost` when the
    ///   server goes away, `refused` for an error reply; and whatever `body` throws.
    public static func withConnection<T>(
        path: String, _ body: (ControlClient) async throws -> T
    ) async throws -> T {
        let client = try ControlClient(connection: ControlConnection(path: path))
        defer { client.finish() }
        return try await body(client)
    }

    /// Sends one request and returns its reply, skipping pushed lines that arrive meanwhile.
    /// - Throws: ``ControlError`` `refused` with the server's code and message for an error reply.
    @discardableResult
    public func send(_ request: ControlRequest) async throws -> ControlMessage {
        let id = try connection.write(request)
        while let message = try await receive() {
            if let reply = try ControlConnection.reply(message, to: id) { return reply }
            pushed.append(message)
        }
        throw ControlError(.connectionLost, "the process at \(path) closed the connection before answering")
    }

    /// The next line from the server, or nil when it closed the connection cleanly.
    /// - Throws: ``ControlError`` `connectionLost` on a reset, `protocolViolation` on a line that is not
    ///   the protocol; `CancellationError` when the task was cancelled.
    public func next() async throws -> ControlMessage? {
        if !pushed.isEmpty { return pushed.removeFirst() }
        return try await receive()
    }

    private func receive() async throws -> ControlMessage? {
        let socket = connection.socket
        // Shutting the socket down (not closing it) wakes the reader, which then ends the stream.
        let line = await withTaskCancellationHandler {
            await lines.next()
        } onCancel: {
            socket.shutdown()
        }
        try Task.checkCancellation()
        guard let line else { return nil }
        return try line.get()
    }

    /// `hello`: the server's protocol version, name, pid and phase.
    public func hello() async throws -> ControlMessage.Hello {
        guard let hello = try await send(ControlRequest(op: .hello)).hello else {
            throw ControlError(.protocolViolation, "the hello reply from \(path) has no body")
        }
        return hello
    }

    /// `status`: a snapshot of the pool.
    public func status() async throws -> PoolSnapshot {
        try ControlConnection.snapshot(of: await send(ControlRequest(op: .status)), path: path)
    }

    /// `shutdown`: starts the drain, or moves the deadline to `grace` from now if it already started.
    public func shutdown(grace: Double?, reason: String?) async throws -> PoolSnapshot {
        try ControlConnection.snapshot(
            of: await send(ControlRequest(op: .shutdown, grace: grace.map { .seconds($0) }, reason: reason)),
            path: path)
    }

    /// `shutdown` with `"grace":"auto"`: the process plans the grace as its drain begins, at most
    /// `maxGrace` seconds, and answers with the snapshot that carries it.
    ///
    /// A process built before planned graces answers ``ControlError`` `refused` with the server code
    /// `bad_request` (see ``ShutdownGrace``); nothing was drained then.
    public func shutdown(plannedGraceUpTo maxGrace: Double, reason: String?) async throws -> PoolSnapshot {
        try ControlConnection.snapshot(
            of: await send(ControlRequest(op: .shutdown, grace: .auto, maxGrace: maxGrace, reason: reason)),
            path: path)
    }

    /// `extend`: moves the deadline of a drain in progress by `seconds` (negative to shorten).
    public func extend(by seconds: Double) async throws -> PoolSnapshot {
        try ControlConnection.snapshot(of: await send(ControlRequest(op: .extend, seconds: seconds)), path: path)
    }

    /// `history`: drains of the process's drain history, newest first; see
    /// ``ControlConnection/history(drainID:limit:timeout:)`` for the errors.
    public func history(
        drainID: Int64? = nil, limit: Int = ControlProtocol.defaultHistoryLimit
    ) async throws -> [DrainHistoryEntry] {
        let request = ControlConnection.historyRequest(drainID: drainID, limit: limit)
        return try ControlConnection.drains(of: await send(request), path: path)
    }

    /// `subscribe`: after this, ``next()`` returns a snapshot every `intervalMs` and every event.
    public func subscribe(intervalMs: Int) async throws {
        try await send(ControlRequest(op: .subscribe, intervalMs: intervalMs))
    }

    /// Wakes the reader and lets it end; the descriptor is closed once both sides let go of it.
    private func finish() { connection.close() }

    /// The reading side, on its own thread: decodes each line and hands it over, until the end.
    private struct Reader: Sendable {
        let socket: SocketDescriptor
        let path: String
        let sink: AsyncStream<Result<ControlMessage, ControlError>>.Continuation

        func run() {
            var reader = LineReader(fd: socket.fd)
            defer { sink.finish() }
            while true {
                do {
                    guard let line = try reader.next() else { return }
                    if line.isEmpty { continue }
                    sink.yield(.success(try ControlConnection.decode(line, path: path)))
                } catch let failure as LineReader.Failure {
                    sink.yield(.failure(ControlConnection.error(failure, path: path)))
                    return
                } catch let error as ControlError {
                    sink.yield(.failure(error))
                    return
                } catch {
                    return
                }
            }
        }
    }
}
