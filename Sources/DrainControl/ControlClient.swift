import Drain
import DrainProtocol
import Foundation
import NIOCore
import NIOPosix

/// A connection to one process's control socket.
///
/// Use ``withConnection(path:_:)``, which closes the socket when the body returns:
/// ```swift
/// let snapshot = try await ControlClient.withConnection(path: socket) { try await $0.status() }
/// ```
public final class ControlClient {
    typealias Channel = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var nextID = 1
    /// Pushed lines that arrived while waiting for a reply, handed out by ``next()`` first.
    private var pushed: [ControlMessage] = []
    /// The socket this client is connected to.
    public let path: String

    private init(
        path: String, inbound: NIOAsyncChannelInboundStream<ByteBuffer>,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) {
        self.path = path
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    /// Connects, runs `body`, and closes.
    /// - Throws: ``ControlError`` `notFound` when nothing listens at `path`, `connectionLost` when the
    ///   server goes away, `refused` for an error reply; and whatever `body` throws.
    public static func withConnection<T>(
        path: String, _ body: (ControlClient) async throws -> T
    ) async throws -> T {
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(unixDomainSocketPath: path) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(LineFrameDecoder(maxLength: 16 * 1024 * 1024))
                        )
                        return try Channel(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw ControlError(.notFound, "cannot connect to \(path): \(Self.reason(error))")
        }
        return try await channel.executeThenClose { inbound, outbound in
            let client = ControlClient(path: path, inbound: inbound, outbound: outbound)
            return try await body(client)
        }
    }

    /// Sends one request and returns its reply, skipping pushed lines that arrive meanwhile.
    /// - Throws: ``ControlError`` `refused` with the server's code and message for an error reply.
    @discardableResult
    public func send(_ request: ControlRequest) async throws -> ControlMessage {
        var request = request
        let id = nextID
        nextID += 1
        request.id = id
        var data = try JSONEncoder.drain.encode(request)
        data.append(UInt8(ascii: "\n"))
        do {
            try await outbound.write(ByteBuffer(bytes: data))
        } catch {
            throw ControlError(.connectionLost, "the connection to \(path) was lost while sending")
        }
        while let message = try await receive() {
            guard message.type == .result || message.type == .error else {
                pushed.append(message)
                continue
            }
            if message.type == .error, let error = message.error {
                throw ControlError(.refused, "\(error.code): \(error.message)")
            }
            if message.id == id || message.id == nil { return message }
        }
        throw ControlError(.connectionLost, "the process at \(path) closed the connection before answering")
    }

    /// The next line from the server, or nil when it closed the connection cleanly.
    /// - Throws: ``ControlError`` `connectionLost` on a reset, `protocolViolation` on a line that is not v1.
    public func next() async throws -> ControlMessage? {
        if !pushed.isEmpty { return pushed.removeFirst() }
        return try await receive()
    }

    private func receive() async throws -> ControlMessage? {
        let line: ByteBuffer?
        do {
            line = try await inbound.next()
        } catch {
            throw ControlError(.connectionLost, "the connection to \(path) was lost: \(Self.reason(error))")
        }
        guard let line else { return nil }
        do {
            return try JSONDecoder.drain.decode(ControlMessage.self, from: Data(line.readableBytesView))
        } catch {
            throw ControlError(.protocolViolation, "the server at \(path) sent a line that is not protocol v1")
        }
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
        try await snapshot(of: send(ControlRequest(op: .status)))
    }

    /// `shutdown`: starts the drain, or moves the deadline to `grace` from now if it already started.
    public func shutdown(grace: Double?, reason: String?) async throws -> PoolSnapshot {
        try await snapshot(of: send(ControlRequest(op: .shutdown, grace: grace, reason: reason)))
    }

    /// `extend`: moves the deadline of a drain in progress by `seconds` (negative to shorten).
    public func extend(by seconds: Double) async throws -> PoolSnapshot {
        try await snapshot(of: send(ControlRequest(op: .extend, seconds: seconds)))
    }

    /// `subscribe`: after this, ``next()`` returns a snapshot every `intervalMs` and every event.
    public func subscribe(intervalMs: Int) async throws {
        try await send(ControlRequest(op: .subscribe, intervalMs: intervalMs))
    }

    private func snapshot(of message: ControlMessage) throws -> PoolSnapshot {
        guard let snapshot = message.snapshot else {
            throw ControlError(.protocolViolation, "the reply from \(path) has no snapshot")
        }
        return snapshot
    }

    private static func reason(_ error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        return "\(error)"
    }
}
