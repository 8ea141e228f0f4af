import Drain
import Logging
import NIOCore
import ServiceLifecycle
import Vapor

/// Runs a Vapor 4 application as a `Service`, so that its listener closes when the pool starts draining and
/// the pool's grace, not Vapor's `shutdownTimeout`, decides how long requests in flight may take.
///
/// Vapor 4 is started by its `serve` command, which traps SIGTERM and SIGINT itself and, on the first one,
/// gives the server `shutdownTimeout` (10 s by default) to quiesce before it reports "Server stop took too
/// long". This service runs no command: it boots the application (its lifecycle handlers run) and starts
/// the HTTP server directly, so Vapor installs no signal handler and the pool owns the signals. When the
/// pool enters draining (after the lame duck, during which the listener stays open and only the readiness
/// route turns 503), it starts the server's shutdown: the listener closes (new connections are refused by
/// the kernel), idle keep-alive connections close, and requests in flight finish with `Connection: close`.
/// Vapor's timer is set past any drain, so it never cuts in; the service then waits for the pool to stop
/// (which bounds every tracked request by its grace and cancellation window), and at most `closeWindow`
/// more for the last answers to be written.
///
/// Run it in the same `ServiceGroup` as the pool. It returns when that group shuts down.
public struct DrainingApplication: Service, CustomStringConvertible {
    let application: Application
    let pool: WorkerPool
    let address: BindAddress?
    let closeWindow: Duration
    let logger: Logger
    let onServerRunning: @Sendable (Application) async throws -> Void

    /// - Parameters:
    ///   - application: The Vapor application, with ``DrainMiddleware`` in its middleware. Only this service
    ///     shuts it down.
    ///   - pool: The pool whose drain closes the listener.
    ///   - address: Where to listen; `nil` for the application's `http.server.configuration`.
    ///   - closeWindow: How long, once the pool has stopped, connections still open may take to close
    ///     before the service returns without them.
    ///   - logger: Where the closing of the listener is logged.
    ///   - onServerRunning: Called once the server listens (its bound address is in
    ///     `application.http.server.shared.localAddress`).
    public init(
        _ application: Application, pool: WorkerPool, address: BindAddress? = nil,
        closeWindow: Duration = .seconds(5), logger: Logger,
        onServerRunning: @escaping @Sendable (Application) async throws -> Void = { _ in }
    ) {
        self.application = application
        self.pool = pool
        self.address = address
        self.closeWindow = closeWindow
        self.logger = logger
        self.onServerRunning = onServerRunning
    }

    public var description: String { "DrainingApplication(\(pool.name))" }

    /// Longer than any drain: Vapor's timer only decides when its `shutdown()` gives up waiting (the
    /// connections stay open), and this service stops waiting by the pool's clock instead.
    static let vaporShutdownTimeout = TimeAmount.hours(24 * 365)

    public func run() async throws {
        // Subscribe before starting, so a drain that starts in between is not missed.
        let events = pool.events()
        let server = application.http.server.shared
        application.http.server.configuration.shutdownTimeout = Self.vaporShutdownTimeout
        do {
            try await application.asyncBoot()
            try await server.start(address: address)
            try await onServerRunning(application)
        } catch {
            await server.shutdown()
            try? await application.asyncShutdown()
            throw error
        }

        await firstOf(
            { [pool] in
                guard pool.phase < .draining else { return }
                for await event in events where event.phase >= .draining { break }
            },
            // The outer group shutting down (the pool stopped, or the application is ending) closes it too.
            { try? await gracefulShutdown() })
        logger.info("the pool is draining: closing the HTTP listener", metadata: ["drain.pool": "\(pool.name)"])

        // Not a child task: the service stops waiting for the server by the pool's clock, and a task group
        // would wait for its children.
        let (closed, closing) = AsyncStream<Never>.makeStream()
        Task {
            await server.shutdown()
            closing.finish()
        }
        try? await gracefulShutdown()
        let quiesced = await firstOf(
            {
                for await _ in closed {}
                return !Task.isCancelled
            },
            { [closeWindow] in
                try? await Task.sleep(for: closeWindow)
                return false
            })
        if quiesced {
            try await application.asyncShutdown()
        } else {
            logger.warning(
                "connections still open after the pool stopped: left to the process's exit",
                metadata: ["drain.pool": "\(pool.name)", "drain.close_window": "\(closeWindow)"])
        }
    }
}

/// Runs both, returns the first one's result, and cancels the other (each must end when cancelled).
private func firstOf<T: Sendable>(
    _ first: @escaping @Sendable () async -> T, _ second: @escaping @Sendable () async -> T
) async -> T {
    await withTaskGroup(of: T.self) { group in
        group.addTask(operation: first)
        group.addTask(operation: second)
        let result = await group.next()!
        group.cancelAll()
        return result
    }
}
