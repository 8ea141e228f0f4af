import Drain
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Serves a ``WorkerPool``'s control socket: status, subscriptions and shutdown commands.
///
/// Run it in the same `ServiceGroup` as the pool, listed before it, so that the group shuts it down after
/// the pool: it stays up for the whole drain and sends every subscriber the final `stopped` event with
/// the shutdown report before it closes.
///
/// - Important: Only peers with the server's uid, or root, are served (checked with SO_PEERCRED), even
///   if the file modes were loosened.
public final class ControlServer: Service, CustomStringConvertible {
    typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    let pool: WorkerPool
    let configuration: ControlServerConfiguration
    let logger: Logger
    /// The socket this server listens on.
    public let socketPath: String
    private let listener: NIOAsyncChannel<Connection, Never>
    /// The admitted connections, for the client limit, the watchdog and closing at the end.
    let connections = Mutex<[ObjectIdentifier: ControlOutbox]>([:])
    /// Set when the server closes its connections: one admitted after that would never be closed.
    let closing = Atomic<Bool>(false)
    /// Every accepted channel until it closes, registered as NIO accepts it: the listener's stream drops
    /// connections still buffered in it when it closes, and only this list can still close those.
    let accepted: AcceptedChannels
    let fanout: SubscriberFanout

    private init(
        pool: WorkerPool, configuration: ControlServerConfiguration, logger: Logger, socketPath: String,
        listener: NIOAsyncChannel<Connection, Never>, accepted: AcceptedChannels
    ) {
        self.accepted = accepted
        self.pool = pool
        self.configuration = configuration
        self.logger = logger
        self.socketPath = socketPath
        self.listener = listener
        self.fanout = SubscriberFanout(pool: pool)
    }

    public var description: String { "ControlServer(\(socketPath))" }

    /// Creates the socket `<name>.<pid>.sock` in the run directory and starts listening.
    ///
    /// A stale socket file at that path (nothing listening) is replaced; a live one is left alone.
    /// - Parameters:
    ///   - pool: The pool to expose.
    ///   - configuration: Run directory and limits.
    ///   - logger: Where commands are logged with the peer's pid and uid.
    /// - Throws: ``ControlError`` `unsafeRunDirectory`, `socketInUse` or `pathTooLong`.
    public static func bind(
        pool: WorkerPool, configuration: ControlServerConfiguration = .init(), logger: Logger
    ) async throws -> ControlServer {
        try configuration.runDirectory.prepare()
        let path = configuration.runDirectory.socketPath(name: pool.name)
        guard path.utf8.count < 108 else {
            throw ControlError(.pathTooLong, "the socket path \(path) is longer than 107 bytes; choose a shorter run directory")
        }
        switch SocketProbe.probe(path: path) {
        case .live:
            throw ControlError(.socketInUse, "another process is already listening on \(path)")
        case .stale:
            logger.notice("replacing a stale control socket", metadata: ["drain.socket": "\(path)"])
            unlink(path)
        case .missing:
            break
        }
        let maxLine = configuration.maxLineBytes
        let accepted = AcceptedChannels()
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: Int32(clamping: configuration.listenBacklog))
            .bind(unixDomainSocketPath: path) { channel in
                accepted.add(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LineFrameDecoder(maxLength: maxLine))
                    )
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        // The directory is already private; this keeps the socket owner-only even if it moves.
        chmod(path, 0o600)
        var logger = logger
        logger[metadataKey: "drain.socket"] = "\(path)"
        return ControlServer(pool: pool, configuration: configuration, logger: logger, socketPath: path, listener: listener, accepted: accepted)
    }

    /// Accepts connections until the pool has stopped and the service group shuts down.
    public func run() async throws {
        logger.info("control socket listening")
        defer { unlink(socketPath) }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { services in
                services.addTask { await self.fanout.run() }
                services.addTask { await self.watchdog() }
                // A discarding group, so finished connections do not pile up as results.
                await withDiscardingTaskGroup { group in
                    do {
                        try await listener.executeThenClose { inbound in
                            for try await connection in inbound {
                                group.addTask { await self.serve(connection) }
                            }
                        }
                    } catch {
                        logger.debug("listener closed", metadata: ["drain.error": "\(error)"])
                    }
                    await closeConnections()
                }
                services.cancelAll()
            }
        } onGracefulShutdown: {
            // Stay up until the pool has stopped, so operators watch the whole drain.
            Task {
                await self.pool.waitUntilStopped()
                try? await self.listener.channel.close()
            }
        }
    }

    /// How many connections are admitted now.
    var connectionCount: Int { connections.withLock { $0.count } }

    /// Gives connections a moment to receive the final event, then closes the rest.
    private func closeConnections() async {
        closing.store(true, ordering: .sequentiallyConsistent)
        let deadline = ContinuousClock.now + configuration.closeGrace
        while ContinuousClock.now < deadline, !connections.withLock({ $0.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(10))
        }
        // Connections still being admitted register after the flag is set and see it; the rest are here.
        for outbox in connections.withLock({ Array($0.values) }) { outbox.channel.close(promise: nil) }
        accepted.closeAll()
    }

    /// Closes connections whose write is stuck (a client that stopped reading) and connections that are
    /// neither subscribed nor sending requests, so neither kind can hold a client slot for long.
    ///
    /// One task for the whole server checks every connection a few times per timeout, instead of a
    /// timer per written line.
    private func watchdog() async {
        let writeTimeout = configuration.writeTimeout.nanoseconds
        let idleTimeout = configuration.idleTimeout.nanoseconds
        let period = min(configuration.writeTimeout, configuration.idleTimeout) / 4
        while !Task.isCancelled {
            try? await Task.sleep(for: period)
            let now = ControlOutbox.now
            for outbox in connections.withLock({ Array($0.values) }) {
                let activity = outbox.activity
                if let started = activity.writeStarted, now &- started > writeTimeout {
                    logger.info("dropping a client that stopped reading")
                    outbox.close()
                    outbox.channel.close(promise: nil)
                } else if activity.writeStarted == nil, !activity.subscribed, now &- activity.lastRequest > idleTimeout {
                    logger.debug("closing an idle connection")
                    outbox.close()
                    outbox.channel.close(promise: nil)
                }
            }
        }
    }
}

extension Duration {
    fileprivate var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}
