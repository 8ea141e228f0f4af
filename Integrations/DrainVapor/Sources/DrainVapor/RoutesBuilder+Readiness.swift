import Drain
import Vapor

extension RoutesBuilder {
    /// Adds a readiness route: 200 `ready` while the pool runs, 503 with the phase from the lame duck on.
    ///
    /// Point the load balancer's or the kubelet's readiness probe at it: during the lame duck the process
    /// still serves, but stops being picked for new traffic. Keep the path in
    /// ``DrainMiddleware/init(pool:untrackedPaths:)``'s untracked paths.
    /// - Parameters:
    ///   - path: The route, `healthz` by default.
    ///   - pool: The pool whose phase it reports.
    public func addReadinessRoute(_ path: PathComponent = "healthz", pool: WorkerPool) {
        get(path) { _ -> Response in
            let phase = pool.phase
            let ready = phase.isReady
            return Response(
                status: ready ? .ok : .serviceUnavailable,
                headers: ["Content-Type": "text/plain; charset=utf-8"],
                body: .init(string: ready ? "ready\n" : "\(phase)\n"))
        }
    }
}
