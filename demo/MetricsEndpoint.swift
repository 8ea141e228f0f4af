import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle

/// `GET /metrics` in the Prometheus text format, for `--metrics HOST:PORT`.
///
/// Unlike the HTTP front it stays open through the whole drain, forcing included, so a scrape can watch
/// the phase and the seconds left; it closes when the service group shuts down after the pool stopped.
final class MetricsEndpoint: Service, Sendable {
    let address: SocketAddress
    private let listener: any Channel

    private init(listener: any Channel) throws {
        guard let address = listener.localAddress else {
            throw HTTPFrontError(.bind, "the metrics socket has no local address")
        }
        self.address = address
        self.listener = listener
    }

    /// Binds the listener; scrapes are answered from now on.
    /// - Throws: ``HTTPFrontError`` `bind`.
    static func bind(_ address: HTTPAddress, registry: PrometheusCollectorRegistry) async throws -> MetricsEndpoint {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(ScrapeHandler(registry: registry))
                }
            }
        do {
            return try MetricsEndpoint(listener: try await bootstrap.bind(host: address.host, port: address.port).get())
        } catch let error as HTTPFrontError {
            throw error
        } catch {
            throw HTTPFrontError(.bind, "cannot listen for metrics on \(address)", cause: error)
        }
    }

    func run() async throws {
        try? await gracefulShutdown()
        try? await listener.close()
    }
}

/// Answers one connection's requests on its event loop: rendering the registry is quick and never waits.
private final class ScrapeHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let registry: PrometheusCollectorRegistry
    private var head: HTTPRequestHead?

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        var body: [UInt8] = []
        let status: HTTPResponseStatus
        var contentType = "text/plain; charset=utf-8"
        if head.method != .GET {
            status = .methodNotAllowed
            body = Array("only GET\n".utf8)
        } else if path == "/metrics" {
            status = .ok
            contentType = "text/plain; version=0.0.4; charset=utf-8"
            registry.emit(into: &body)
        } else {
            status = .notFound
            body = Array("no route for \(path); metrics are at /metrics\n".utf8)
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: "\(body.count)")
        headers.add(name: "Connection", value: head.isKeepAlive ? "keep-alive" : "close")
        context.write(
            Self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
            promise: nil)
        context.write(
            Self.wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        let keepAlive = head.isKeepAlive
        let channel = context.channel
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A broken scrape ends this one connection; the endpoint carries on.
        context.close(promise: nil)
    }
}
