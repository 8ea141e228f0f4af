import Drain
import Vapor

/// Runs every request as a tracked operation of a ``Drain/WorkerPool``.
///
/// A request counts in flight, so a drain waits for it, and it counts as completed in the shutdown report
/// and `drainctl top`. Once the pool drains, new requests get `503 Service Unavailable`; when the drain is
/// forced, requests still running are cancelled and get a 503 too.
///
/// Add it with `app.middleware.use(DrainMiddleware(pool: pool))`, after Vapor's default `ErrorMiddleware`,
/// so that a cancelled handler's error reaches it rather than being turned into a 500 first.
///
/// - Important: Vapor writes the `Connection` header itself, from its own state: `close` once its server
///   is quiescing, which ``DrainingApplication`` starts when the pool drains. A header set here would
///   be sent twice, so the middleware sets none. The request counts until the responder has returned its
///   `Response`; a streamed body's writing is not counted (the server's quiescing still waits for it). A
///   forced drain answers 503 at once, but cannot stop a Vapor 4 handler: see `untilCancelled`.
public struct DrainMiddleware: AsyncMiddleware {
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

    public func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if untracked.contains(request.url.path) { return try await next.respond(to: request) }
        do {
            return try await pool.track("\(request.method.rawValue) \(request.url.path)") {
                try await Self.untilCancelled { try await next.respond(to: request) }
            }
        } catch let error as DrainError where error.code == .notAccepting {
            return Self.unavailable("draining: new requests are refused\n")
        } catch {
            // Forcing cancelled the request's task; whatever the handler made of that, the client learns why.
            guard pool.phase >= .forcing else { throw error }
            return Self.unavailable("cancelled: the drain was forced\n")
        }
    }

    /// Runs the rest of the chain, but returns as soon as the calling task is cancelled.
    ///
    /// Vapor 4 runs each responder of the chain in a task of its own (`EventLoopPromise.completeWithTask`),
    /// and `next` only awaits its future: cancelling the request's tracked task would not reach the handler,
    /// and a forced drain would wait for it. So the chain runs in a task of its own here too, and the tracked
    /// task waits on a stream, which ends when that task is cancelled. The handler then runs on unwatched
    /// until it ends by itself; its answer is dropped.
    static func untilCancelled(
        _ respond: @escaping @Sendable () async throws -> Response
    ) async throws -> Response {
        let (answers, answer) = AsyncStream<Result<Response, any Error>>.makeStream()
        let handler = Task {
            do { answer.yield(.success(try await respond())) } catch { answer.yield(.failure(error)) }
            answer.finish()
        }
        for await result in answers { return try result.get() }
        // The stream ended without an answer: the tracked task was cancelled. Pass it on, although the
        // handler's own task (Vapor's) does not see it.
        handler.cancel()
        throw CancellationError()
    }

    static func unavailable(_ text: String) -> Response {
        Response(
            status: .serviceUnavailable, headers: ["Content-Type": "text/plain; charset=utf-8"],
            body: .init(string: text))
    }
}
