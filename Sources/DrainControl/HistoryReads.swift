import Drain
import DrainProtocol
import NIOCore

/// Answers `history` requests: reads the pool's drain history from its journal, off the event loops.
///
/// A journal read may wait on a disk, a lock or a database across the network; an event loop that waited
/// with it would stall every connection it serves, `top`'s subscriptions included. So the router hands
/// each `history` request here and holds that connection's later lines until the answer is back (see
/// ``RequestRouter``): replies stay in request order, as for every other operation. The read runs in a
/// task of the server's own group, the reply is encoded there too, and the connection's event loop only
/// writes its bytes (``ControlOutbox/deliverAwaited(_:version:)``).
///
/// A connection waits for one answer at a time, so at most one read per admitted connection is in flight:
/// the server's client limit bounds them, and the queue needs no bound of its own.
final class HistoryReads: Sendable {
    /// One `history` request, checked and waiting for its read.
    struct Request: Sendable {
        var id: Int?
        /// The one drain asked for; nil for the newest `limit`.
        var drainID: Int64?
        var limit: Int
        /// The protocol version the reply is written in.
        var version: Int
        var outbox: ControlOutbox
    }

    private let pool: WorkerPool
    private let encoder: WireEncoder
    private let requests: AsyncStream<Request>
    private let continuation: AsyncStream<Request>.Continuation

    init(pool: WorkerPool, encoder: WireEncoder) {
        self.pool = pool
        self.encoder = encoder
        (requests, continuation) = AsyncStream.makeStream(of: Request.self)
    }

    /// Queues a read; false once ``run()`` has ended (the server is stopping).
    func submit(_ request: Request) -> Bool {
        if case .terminated = continuation.yield(request) { return false }
        return true
    }

    /// Reads and answers requests until cancelled, each in a child task of its own, so that a slow read
    /// (a shared journal's database far away) delays only its own connection.
    func run() async {
        // Requests submitted after this ends are refused at once rather than left waiting.
        defer { continuation.finish() }
        await withDiscardingTaskGroup { group in
            for await request in requests {
                group.addTask { await self.answer(request) }
            }
        }
    }

    private func answer(_ request: Request) async {
        let message = await reply(to: request)
        // Encoded here, not on the event loop: a list of reports with their timelines is the largest line
        // the server writes.
        guard let line = encoder.line(message, version: request.version) else {
            let failure = ControlMessage.failure(id: request.id, .internalError, "cannot encode the drain history")
            request.outbox.deliverAwaited(.message(failure), version: request.version)
            return
        }
        request.outbox.deliverAwaited(.line(line), version: request.version)
    }

    /// The history read, or the error that says why there is none.
    func reply(to request: Request) async -> ControlMessage {
        let id = request.id
        do {
            guard let drainID = request.drainID else {
                return .history(id: id, try await pool.drainHistory(limit: request.limit))
            }
            guard let entry = try await pool.drain(id: drainID) else {
                return .failure(
                    id: id, .notFound,
                    "no drain \(drainID) in the drain history of \(pool.name) (never kept, or pruned); "
                        + "`history` without drain_id lists those kept")
            }
            return .history(id: id, [entry])
        } catch let error as DrainError {
            return .failure(id: id, WireErrorCode(error), error.message + (error.cause.map { ": \($0)" } ?? ""))
        } catch {
            return .failure(id: id, .journalFailed, "cannot read the drain history: \(error)")
        }
    }
}
