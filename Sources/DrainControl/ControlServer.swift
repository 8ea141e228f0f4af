import Drain
import DrainProtocol
import Foundation
import Logging
import Metrics
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

    /// What the listener hands over for each accepted connection: decided in the channel's initializer,
    /// on its event loop. A connection over the client limit is refused there and then, without a task:
    /// a storm of a thousand costs the event loops a line each and the cooperative threads, which the
    /// pool's own work needs during a drain, nothing.
    enum Accepted: Sendable {
        case admitted(Connection, ControlOutbox)
        case refused
    }

    let pool: WorkerPool
    let configuration: ControlServerConfiguration
    let logger: Logger
    /// The socket this server listens on.
    public let socketPath: String
    private let listener: NIOAsyncChannel<Accepted, Never>
    /// The admitted connections, for the client limit, the watchdog and closing at the end; each is
    /// admitted in its channel's initializer and removed when its channel closes.
    let connections: Connections
    /// Set when the server closes its connections: one reaching ``serve(_:)`` after that is not served.
    let closing = Atomic<Bool>(false)
    /// Every accepted connection until it closes, registered as NIO accepts it: the listener's stream
    /// drops connections accepted as it closes, and only this list can still close those.
    let accepted: AcceptedChannels
    let fanout: SubscriberFanout
    /// Reads the drain history for `history` requests, off the event loops.
    let historyReads: HistoryReads
    let metrics: ControlMetrics
    /// One per server: the fan-out and every connection share its encoded events.
    let encoder: WireEncoder

    private init(
        pool: WorkerPool, configuration: ControlServerConfiguration, logger: Logger, metrics: ControlMetrics,
        socketPath: String, listener: NIOAsyncChannel<Accepted, Never>, accepted: AcceptedChannels,
        encoder: WireEncoder, connections: Connections
    ) {
        self.encoder = encoder
        self.connections = connections
        self.accepted = accepted
        self.metrics = metrics
        self.pool = pool
        self.configuration = configuration
        self.logger = logger
        self.socketPath = socketPath
        self.listener = listener
        // Encode each published snapshot once, on the thread that published it (the pool's tick task), in
        // the form `status` replies use: the event loops then only wrap and copy its bytes.
        // Weakly: the pool may outlive this server (one bound again on the same pool).
        // Only while someone is connected: an idle pool publishes ten times a second for nobody.
        pool.onPublish { [weak encoder, weak connections] published in
            guard let connections, !connections.isEmpty else { return }
            _ = encoder?.body(published, .of(version: ControlProtocol.version, pushed: false))
        }
        self.fanout = SubscriberFanout(pool: pool, encoder: encoder)
        self.historyReads = HistoryReads(pool: pool, encoder: encoder)
    }

    public var description: String { "ControlServer(\(socketPath))" }

    /// Creates the socket `<name>.<pid>.sock` in the run directory and starts listening.
    ///
    /// A stale socket file at that path (nothing listening) is replaced; a live one is left alone.
    /// - Parameters:
    ///   - pool: The pool to expose.
    ///   - configuration: Run directory and limits.
    ///   - logger: Where commands are logged with the peer's pid and uid.
    ///   - metrics: Where requests are counted (`drain_control_requests_total{pool, op}`); never bootstrapped here.
    /// - Throws: ``ControlError`` `unsafeRunDirectory`, `socketInUse` or `pathTooLong`.
    public static func bind(
        pool: WorkerPool, configuration: ControlServerConfiguration = .init(), logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory
    ) async throws -> ControlServer {
        try configuration.runDirectory.prepare()
        let path = configuration.runDirectory.socketPath(name: pool.name)
        guard path.utf8.count < 108 else {
            throw ControlError(
                .pathTooLong, "the socket path \(path) is longer than 107 bytes; choose a shorter run directory")
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
        let linger = TimeAmount.nanoseconds(configuration.closeLinger.nanoseconds)
        let encoder = WireEncoder()
        let accepted = AcceptedChannels()
        let connections = Connections()
        let refusals = RefusalLog(logger: logger, maxClients: configuration.maxClients)
        let (maxClients, maxPending) = (configuration.maxClients, configuration.maxPendingLines)
        // Bound under a private name and renamed into place once listening and owner-only: NIO binds
        // before it listens, and a client that saw the socket file in between was refused (ECONNREFUSED),
        // as was `drainctl ls`'s probe, which then called a starting process stale.
        // The private name is never longer than the final one, so it fits wherever that fits.
        let binding = configuration.runDirectory.path + "/.\(getpid()).new"
        unlink(binding)
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: Int32(clamping: configuration.listenBacklog))
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        AcceptThrottle { connections.count >= maxClients })
                }
            }
            // A client that sends its request and half-closes (`echo … | socat`, `shutdown(SHUT_WR)`) still
            // gets its answers: its end of input must not close our end of output.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            // Accepting must not wait for `run()`'s task to take connections off the listener's stream: with
            // the default watermarks (10) a storm was accepted ten at a time, at the pace of a cooperative
            // thread, and clients still in the kernel's queue when the listener closed were reset. A
            // refused connection is a single value in that stream; thousands of them cost little.
            .bind(
                unixDomainSocketPath: binding,
                serverBackPressureStrategy: .init(lowWatermark: 1_024, highWatermark: 8_192)
            ) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LineFrameDecoder(maxLength: maxLine))
                    )
                    let outbox = ControlOutbox(channel: channel, maxPending: maxPending, encoder: encoder)
                    try channel.pipeline.syncOperations.addHandler(
                        RequestRouter(maxLineBytes: maxLine, encoder: encoder, linger: linger) {
                            outbox.requestArrived()
                        })
                    let id = ObjectIdentifier(channel)
                    let admitted = connections.withLock { connections -> Bool in
                        guard connections.count < maxClients else { return false }
                        connections[id] = outbox
                        return true
                    }
                    guard admitted else {
                        accepted.add(channel)
                        refusals.note()
                        outbox.shut(.tooManyClients, "too many clients (at most \(maxClients)); try again later")
                        return Accepted.refused
                    }
                    channel.closeFuture.whenComplete { _ in _ = connections.withLock { $0.removeValue(forKey: id) } }
                    let connection = try Connection(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(isOutboundHalfClosureEnabled: false))
                    accepted.add(connection)
                    return Accepted.admitted(connection, outbox)
                }
            }
        // The directory is already private; this keeps the socket owner-only even if it moves.
        chmod(binding, 0o600)
        guard rename(binding, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? await listener.executeThenClose { _ in }
            unlink(binding)
            throw ControlError(.unsafeRunDirectory, "cannot place the control socket at \(path): \(reason)")
        }
        var logger = logger
        logger[metadataKey: "drain.socket"] = "\(path)"
        return ControlServer(
            pool: pool, configuration: configuration, logger: logger,
            metrics: ControlMetrics(pool: pool.name, factory: metrics), socketPath: path, listener: listener,
            accepted: accepted, encoder: encoder, connections: connections)
    }

    /// Accepts connections until the pool has stopped and the service group shuts down.
    ///
    /// When it returns, every connection it accepted is closed and every task it started has ended,
    /// whatever its clients were doing.
    public func run() async throws {
        logger.info("control socket listening")
        defer { unlink(socketPath) }
        await withDiscardingTaskGroup { services in
            services.addTask { await self.fanout.run() }
            services.addTask { await self.historyReads.run() }
            services.addTask { await self.watchdog() }
            services.addTask { await self.closeListenerAfterStop() }
            // A discarding group, so finished connections do not pile up as results.
            await withDiscardingTaskGroup { group in
                do {
                    try await listener.executeThenClose { inbound in
                        for try await accepted in inbound {
                            guard case .admitted(let connection, let outbox) = accepted else { continue }
                            group.addTask { await self.serve(connection, outbox: outbox) }
                        }
                    }
                } catch {
                    logger.debug("listener closed", metadata: ["drain.error": "\(error)"])
                }
                // Before the group waits for its connections: they only end once closed.
                await closeConnections()
            }
            services.cancelAll()
        }
    }

    /// On the group's graceful shutdown, stays up until the pool has stopped, so operators watch the
    /// whole drain, then closes the listener, which ends ``run()``. A child task rather than a shutdown
    /// handler's detached task, so it cannot outlive the server.
    private func closeListenerAfterStop() async {
        do {
            try await gracefulShutdown()
        } catch {
            return
        }
        await pool.waitUntilStopped()
        try? await listener.channel.close()
    }

    /// How many connections are admitted now.
    var connectionCount: Int { connections.withLock { $0.count } }

    /// Gives subscribers a moment to receive the final event, then closes every accepted connection,
    /// served or not, and waits until they have closed.
    private func closeConnections() async {
        closing.store(true, ordering: .sequentiallyConsistent)
        let deadline = ContinuousClock.now + configuration.closeGrace
        // Only for connections still taking their last lines: a stalled subscriber or a client holding a
        // connection must not hold up the end (with a storm of them connected, this waited the whole grace).
        let recent: UInt64 = 100_000_000
        while ContinuousClock.now < deadline, !Task.isCancelled,
            connections.withLock({ Array($0.values) }).contains(where: {
                ControlOutbox.awaitsFinalLines($0.activity, now: ControlOutbox.now, recent: recent)
            })
        {
            try? await Task.sleep(for: .milliseconds(10))
        }
        // Those still open are told why they close, in the line before the close.
        for outbox in connections.withLock({ Array($0.values) }) {
            outbox.shut(.serverStopping, "the server is stopping")
        }
        // Admitted or not, served or still in NIO's hands: every connection is in this list.
        await accepted.closeAll()
    }

    /// Closes connections that take no line for the write timeout (a client that stopped reading) and
    /// connections that are neither subscribed nor sending requests, so neither kind can hold a client
    /// slot for long.
    ///
    /// One task for the whole server checks every connection a few times per timeout, instead of a
    /// timer per written line; a subscriber's lines are not timed here, only whether it still takes them.
    private func watchdog() async {
        let writeTimeout = UInt64(max(0, configuration.writeTimeout.nanoseconds))
        let idleTimeout = UInt64(max(0, configuration.idleTimeout.nanoseconds))
        let period = min(configuration.writeTimeout, configuration.idleTimeout) / 4
        while !Task.isCancelled {
            try? await Task.sleep(for: period)
            for outbox in connections.withLock({ Array($0.values) }) {
                // A first look from here; the connection's own event loop, where its requests are read,
                // looks again before closing it, so a request read in the meantime keeps it open.
                guard
                    ControlOutbox.watchdogVerdict(
                        outbox.activity, now: ControlOutbox.now, writeTimeout: writeTimeout, idleTimeout: idleTimeout)
                        != nil
                else { continue }
                outbox.channel.eventLoop.execute {
                    let verdict = ControlOutbox.watchdogVerdict(
                        outbox.activity, now: ControlOutbox.now, writeTimeout: writeTimeout, idleTimeout: idleTimeout)
                    switch verdict {
                    case .slowClient?:
                        self.logger.info("dropping a client that stopped reading")
                        outbox.shut(
                            .slowClient, "no line taken for \(self.configuration.writeTimeout); closing")
                    case .idleTimeout?:
                        self.logger.debug("closing an idle connection")
                        outbox.shut(.idleTimeout, "no request for \(self.configuration.idleTimeout); closing")
                    default:
                        break
                    }
                }
            }
        }
    }
}

/// The admitted connections by channel, shared by the channels' initializers and the server.
final class Connections: Sendable {
    private let state = Mutex<[ObjectIdentifier: ControlOutbox]>([:])

    func withLock<T: Sendable>(_ body: (inout [ObjectIdentifier: ControlOutbox]) -> T) -> T {
        state.withLock { body(&$0) }
    }

    var isEmpty: Bool { state.withLock { $0.isEmpty } }

    var count: Int { state.withLock { $0.count } }
}

/// Logs refused connections at most once a second, with how many since: a storm of a thousand must not
/// become a thousand log lines written from the event loops.
final class RefusalLog: Sendable {
    private let logger: Logger
    private let maxClients: Int
    /// When the last line was logged, and the refusals since.
    private let state = Mutex<(logged: UInt64?, count: Int)>((nil, 0))

    init(logger: Logger, maxClients: Int) {
        self.logger = logger
        self.maxClients = maxClients
    }

    func note() {
        let now = ControlOutbox.now
        let count = state.withLock { state -> Int? in
            state.count += 1
            if let logged = state.logged, now > logged, now - logged < 1_000_000_000 { return nil }
            defer { state = (now, 0) }
            return state.count
        }
        guard let count else { return }
        logger.warning(
            "refusing connections: too many clients",
            metadata: ["drain.max_clients": "\(maxClients)", "drain.refused": "\(count)"])
    }
}
