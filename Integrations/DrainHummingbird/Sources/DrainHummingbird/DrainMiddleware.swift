import Drain
import Hummingbird

/// Runs every request as a tracked operation of a ``Drain/WorkerPool``.
///
/// A request counts in flight, so a drain waits for it, and it counts as completed in the shutdown report
/// and `drainctl top`. Once the pool drains, new requests get `503 Service Unavailable`; when the drain is
/// forced, requests still running are cancelled and get a 503 too. Every answer while the pool drains
/// carries `Connection: close`, so clients reconnect elsewhere.
///
/// - Important: The request counts until the responder has returned its ``Response``. Hummingbird writes a
///   buffered body right after; a streamed body's writing is not counted. The server's own graceful
///   shutdown (started by ``DrainingApplication`` when the pool stops) still waits for it.
public struct DrainMiddleware<Context: RequestContext>: RouterMiddleware {
    let pool: WorkerPool
    let untracked: Set<String>

    /// - Parameters:
    ///   - pool: The pool whose drain the requests follow.
    ///   - untrackedPaths: Paths served without tracking, such as the readiness route: a load balancer's
    ///     probe is not work to wait for.
    public init(pool: WorkerPool, untrackedPaths: Set<String> = ["/healthz"]) {
        self.pool = pool
        self.untracked = untrackedPaths
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if untracked.contains(request.uri.path) { return try await next(request, context) }
        do {
            var response = try await withoutActuallyEscaping(next) { next in
                // `track` runs its operation in a task of its own and always awaits it before it
                // returns, so `next` is called once, and never after this scope.
                let handoff = Handoff(next: next, request: request, context: context)
                return try await pool.track("\(request.method) \(request.uri.path)") { try await handoff.call() }
            }
            if pool.phase >= .draining { response.headers[.connection] = "close" }
            return response
        } catch let error as DrainError where error.code == .notAccepting {
            return Self.unavailable("draining: new requests are refused\n")
        } catch {
            // Forcing cancelled the request's task; whatever the handler made of that, the client learns why.
            guard pool.phase >= .forcing else { throw error }
            return Self.unavailable("cancelled: the drain was forced\n")
        }
    }

    static func unavailable(_ text: String) -> Response {
        var response = Response(
            status: .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
        response.headers[.connection] = "close"
        return response
    }
}

/// Carries the middleware's `next` into the task `WorkerPool.track` runs it in.
///
/// `next` is not `Sendable`, but it crosses to exactly one other task, which runs it to completion while the
/// request's own task waits; it is never called concurrently or after the request.
private struct Handoff<Context: RequestContext>: @unchecked Sendable {
    let next: (Request, Context) async throws -> Response
    let request: Request
    let context: Context

    func call() async throws -> Response { try await next(request, context) }
}
