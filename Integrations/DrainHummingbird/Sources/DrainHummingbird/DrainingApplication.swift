import Drain
import Hummingbird
import Logging
import ServiceLifecycle

/// Runs a Hummingbird application so that its listener closes when the pool starts draining.
///
/// Hummingbird closes its listening socket only during its own graceful shutdown, and a `ServiceGroup`
/// shuts services down only once one of them ends — here, when the pool has stopped, which is too late:
/// new connections would be accepted and answered 503 for the whole drain. So this service runs the
/// application in a service group of its own, and starts *that* group's graceful shutdown when the pool
/// enters draining. Hummingbird then closes the listener (new connections are refused by the kernel, not
/// accepted and reset), closes idle keep-alive connections, and lets requests in flight finish. The lame
/// duck keeps the listener open; only the readiness route turns 503.
///
/// Run it in the same `ServiceGroup` as the pool. It returns when that group shuts down.
public struct DrainingApplication<App: ApplicationProtocol>: Service, CustomStringConvertible {
    let application: App
    let pool: WorkerPool
    let logger: Logger

    /// - Parameters:
    ///   - application: The Hummingbird application, with ``DrainMiddleware`` on its router.
    ///   - pool: The pool whose drain closes the listener.
    ///   - logger: Where the closing of the listener is logged.
    public init(_ application: App, pool: WorkerPool, logger: Logger) {
        self.application = application
        self.pool = pool
        self.logger = logger
    }

    public var description: String { "DrainingApplication(\(pool.name))" }

    public func run() async throws {
        let inner = ServiceGroup(
            configuration: .init(
                services: [application], gracefulShutdownSignals: [], cancellationSignals: [], logger: logger))
        // Subscribe before looking at the phase, so a drain that starts in between is not missed.
        let events = pool.events()
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await inner.run() }
            group.addTask {
                if pool.phase < .draining {
                    for await event in events where event.phase >= .draining { break }
                }
                logger.info(
                    "the pool is draining: closing the HTTP listener", metadata: ["drain.pool": "\(pool.name)"])
                await inner.triggerGracefulShutdown()
            }
            // The outer group shutting down (the pool stopped) ends the application too, if not yet.
            try? await gracefulShutdown()
            await inner.triggerGracefulShutdown()
        }
    }
}
