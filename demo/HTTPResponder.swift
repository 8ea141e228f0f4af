import Drain
import Logging
import NIOCore
import NIOHTTP1

/// Answers HTTP requests; `GET /sleep?ms=N` is a tracked operation of the pool, like a view that sleeps.
///
/// - `GET /sleep?ms=N` — 200 after N ms. Refused with 503 once the pool drains; when the drain is forced
///   the sleep is cancelled and the client gets a 503 (`cancelled: the drain was forced`).
/// - `GET /healthz` — 200 while the pool is ready, 503 from the lame duck on.
///
/// Once the pool drains, every response carries `Connection: close` and the connection closes after it.
struct HTTPResponder: Sendable {
    /// The longest sleep a request may ask for (one hour), so a typo cannot hold a drain for days.
    static let maxSleepMilliseconds = 3_600_000

    let pool: WorkerPool
    let logger: Logger

    func respond(to head: HTTPRequestHead, on channel: any Channel) async {
        let reply = HTTPReply(channel: channel, pool: pool, version: head.version, keepAlive: head.isKeepAlive)
        guard head.method == .GET else {
            await reply.send(.methodNotAllowed, "only GET\n")
            return
        }
        let (path, query) = Self.split(head.uri)
        switch path {
        case "/sleep":
            guard let ms = query["ms"].flatMap({ Int($0) }), (0...Self.maxSleepMilliseconds).contains(ms) else {
                await reply.send(.badRequest, "want /sleep?ms=N with N from 0 to \(Self.maxSleepMilliseconds)\n")
                return
            }
            await sleep(milliseconds: ms, reply: reply)
        case "/healthz":
            let ready = pool.phase.isReady
            await reply.send(ready ? .ok : .serviceUnavailable, ready ? "ready\n" : "\(pool.phase)\n")
        default:
            await reply.send(.notFound, "no route for \(path)\n")
        }
    }

    private func sleep(milliseconds ms: Int, reply: HTTPReply) async {
        do {
            // The response is written inside the operation: the pool counts the request in flight until
            // the client has its answer, so the process cannot exit between the work and the reply.
            try await pool.track("GET /sleep?ms=\(ms)") {
                do {
                    try await Task.sleep(for: .milliseconds(ms))
                } catch {
                    await reply.send(.serviceUnavailable, "cancelled: the drain was forced\n")
                    return
                }
                await reply.send(.ok, "slept \(ms) ms\n")
            }
        } catch let error as DrainError where error.code == .notAccepting {
            await reply.send(.serviceUnavailable, "draining: new requests are refused\n")
        } catch {
            logger.error("request failed", metadata: ["drain.http.error": "\(error)"])
            await reply.send(.internalServerError, "internal error\n")
        }
    }

    /// `/sleep?ms=5&x=y` → (`/sleep`, [ms: 5, x: y]).
    static func split(_ uri: String) -> (path: String, query: [String: String]) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, [:]) }
        var query: [String: String] = [:]
        for pair in uri[uri.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            query[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return (String(uri[..<mark]), query)
    }
}
