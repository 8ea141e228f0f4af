import Drain
import DrainProtocol
import Foundation
import NIOCore

extension ControlServer {
    /// Answers one request line; `subscribe` hands the connection to the fan-out.
    /// - Parameter answer: Writes an answer in a protocol version; called before this returns, on the
    ///   thread that read the line.
    func handle(
        _ line: ByteBuffer, peer: PeerCredentials, outbox session: ControlOutbox,
        reply answer: (WireEncoder.Answer, Int) -> Void
    ) {
        let bytes = Data(line.readableBytesView)
        if bytes.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { return }
        let request: ControlRequest
        switch RequestDecoder.decode(bytes) {
        case .success(let decoded): request = decoded
        case .failure(let failure):
            answer(.message(.failure(id: failure.id, failure.code, failure.message)), session.version)
            return
        }
        let id = request.id
        if let version = request.v, !ControlProtocol.versions.contains(version) {
            answer(
                .message(
                    .failure(
                        id: id, .unsupportedVersion,
                        "protocol version \(version) is not supported; this server speaks 1 to \(ControlProtocol.latestVersion)"
                    )), session.version)
            return
        }
        // A request's own `v` decides its reply; `hello` and `subscribe` also set the connection's version.
        let version = request.v ?? session.version
        func reply(_ message: ControlMessage) { answer(.message(message), version) }
        // The published snapshot, whose bytes are made once per tick: a change this request made (a drain,
        // a deadline move) was published before the pool returned, so the reply shows it.
        func replySnapshot() { answer(.status(id: id, pool.latestSnapshot()), version) }
        guard let operation = ControlRequest.Operation(rawValue: request.op) else {
            let known = ControlRequest.Operation.allCases.map(\.rawValue).joined(separator: ", ")
            reply(
                .failure(id: id, .unknownOperation, "unknown operation '\(request.op.prefix(64))'; known: \(known)"))
            return
        }
        let cause = DrainCause.client(pid: peer.pid, uid: peer.uid, reason: request.reason)
        metrics.request(operation)
        switch operation {
        case .hello:
            logReadOnly(operation, peer: peer)
            session.version = version
            let hello = ControlMessage.Hello(
                version: version, name: pool.name, pid: getpid(), phase: pool.phase,
                operations: ControlRequest.Operation.allCases.map(\.rawValue)
            )
            reply(.hello(id: id, hello))
        case .status:
            logReadOnly(operation, peer: peer)
            replySnapshot()
        case .subscribe:
            let interval = request.intervalMs ?? 1000
            guard (50...60_000).contains(interval) else {
                reply(
                    .failure(id: id, .invalidArgument, "interval_ms must be between 50 and 60000, got \(interval)"))
                return
            }
            guard session.beginSubscription() else {
                reply(.failure(id: id, .invalidArgument, "this connection is already subscribed"))
                return
            }
            // Not an event: every subscriber would be told of every other, a thousand subscribers a million
            // lines, and the recent events would hold nothing else.
            logReadOnly(operation, peer: peer)
            session.version = version
            reply(.subscribed(id: id, intervalMs: interval))
            // The fan-out queues the first snapshot as it adds the subscriber; see SubscriberFanout.add.
            if !fanout.add(session, intervalMs: interval, version: version) { session.endSubscription() }
        case .shutdown:
            let grace = request.grace
            if let grace, !ControlProtocol.isValidGrace(grace) {
                reply(.failure(id: id, .invalidArgument, "grace must be a number of seconds from 0 to 86400"))
                return
            }
            guard pool.phase < .forcing else {
                reply(.failure(id: id, .alreadyStopped, "the pool is already \(pool.phase)"))
                return
            }
            pool.audit("shutdown" + (grace.map { " grace \($0)s" } ?? " (default grace)"), cause: cause)
            do {
                try pool.drain(grace: grace.map { .milliseconds(Int64($0 * 1000)) }, cause: cause)
                replySnapshot()
            } catch let error as DrainError {
                reply(.failure(id: id, WireErrorCode(error), error.message))
            } catch {
                reply(.failure(id: id, .internalError, "\(error)"))
            }
        case .extend:
            guard let seconds = request.seconds, seconds.isFinite, abs(seconds) <= 86_400 else {
                reply(
                    .failure(id: id, .invalidArgument, "extend needs 'seconds', a number from -86400 to 86400"))
                return
            }
            pool.audit("extend deadline by \(seconds)s", cause: cause)
            do {
                try pool.moveDeadline(by: .milliseconds(Int64(seconds * 1000)), cause: cause)
                replySnapshot()
            } catch let error as DrainError {
                reply(.failure(id: id, WireErrorCode(error), error.message))
            } catch {
                reply(.failure(id: id, .internalError, "\(error)"))
            }
        case .force:
            guard pool.phase < .stopped else {
                reply(.failure(id: id, .alreadyStopped, "the pool has already stopped"))
                return
            }
            pool.audit("force", cause: cause)
            pool.force(cause: cause)
            replySnapshot()
        }
    }

    /// A request that changes nothing in the pool (hello, status, subscribe): logged with its peer and
    /// counted, not kept as a pool event.
    private func logReadOnly(_ operation: ControlRequest.Operation, peer: PeerCredentials) {
        logger.debug(
            "control request",
            metadata: [
                "drain.request.op": "\(operation.rawValue)", "drain.peer.pid": "\(peer.pid)",
                "drain.peer.uid": "\(peer.uid)",
            ])
    }
}
