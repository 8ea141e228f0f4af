import Drain
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// drain-demo's HTTP/1 front: requests are tracked operations of the pool, and a drain stops the listener.
///
/// When the pool starts draining, the listening socket is closed at once, so a new connection is refused
/// by the kernel (ECONNREFUSED) instead of being accepted and reset later. Idle keep-alive connections
/// close; requests in flight finish and answer with `Connection: close`. When the drain is forced, the
/// pool cancels the requests and their clients get a 503. A lame duck keeps the listener open (only
/// `/healthz` turns 503), so load balancers can stop routing first.
final class HTTPFront: Service, Sendable {
    let address: SocketAddress
    private let pool: WorkerPool
    private let listener: any Channel
    private let connections: OpenConnections
    private let logger: Logger
    private let stopped = Mutex(false)

    private init(pool: WorkerPool, listener: any Channel, connections: OpenConnections, logger: Logger) throws {
        guard let address = listener.localAddress else {
            throw HTTPFrontError(.bind, "the listening socket has no local address")
        }
        self.address = address
        self.pool = pool
        self.listener = listener
        self.connections = connections
        self.logger = logger
    }

    /// Binds the listening socket; requests are served from now on, the drain is watched from ``run()``.
    /// - Throws: ``HTTPFrontError`` `bind`.
    static func bind(_ address: HTTPAddress, pool: WorkerPool, logger: Logger) async throws -> HTTPFront {
        let responder = HTTPResponder(pool: pool, logger: logger)
        let connections = OpenConnections()
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(HTTPRequestHandler(responder: responder))
                    connections.insert(channel)
                }
            }
        let listener: any Channel
        do {
            listener = try await bootstrap.bind(host: address.host, port: address.port).get()
        } catch {
            throw HTTPFrontError(.bind, "cannot listen for HTTP on \(address)", cause: error)
        }
        return try HTTPFront(pool: pool, listener: listener, connections: connections, logger: logger)
    }

    /// `127.0.0.1:41234`, the address actually bound (port 0 resolved).
    var boundAddress: String {
        let host = address.ipAddress ?? "?"
        return host.contains(":") ? "[\(host)]:\(address.port ?? 0)" : "\(host):\(address.port ?? 0)"
    }

    func run() async throws {
        // Subscribe before looking at the phase, so a drain that starts in between is not missed.
        let events = pool.events()
        await withDiscardingTaskGroup { group in
            group.addTask {
                if self.pool.phase < .draining {
                    for await event in events where event.phase >= .draining { break }
                }
                self.stopAccepting()
            }
            // The pool stopping shuts the service group down gracefully; that (or cancellation) ends us.
            try? await gracefulShutdown()
            group.cancelAll()
        }
        stopAccepting()
        // Whatever is still open now was abandoned by a forced drain: nothing more will be answered.
        connections.closeAll()
        try? await listener.closeFuture.get()
    }

    /// Closes the listener and asks the connections to finish. Runs once.
    private func stopAccepting() {
        guard
            stopped.withLock({ stopped in
                defer { stopped = true }; return !stopped
            })
        else { return }
        listener.close(promise: nil)
        connections.quiesceAll()
        logger.info(
            "HTTP listener closed: new connections are refused",
            metadata: ["drain.http.address": "\(boundAddress)", "drain.http.open": "\(connections.count)"]
        )
    }
}
