import Drain
import DrainProtocol
import Foundation
import NIOCore

extension ControlServer {
    /// Answers one request line; `subscribe` hands the connection to the fan-out, `history` to
    /// ``HistoryReads``.
    /// - Parameter answer: Writes an answer in a protocol version; called before this returns, on the
    ///   thread that read the line.
    /// - Returns: ``RequestRouter/Handled/awaiting`` when the answer comes later, from a read of the
    ///   journal off this thread (`history`).
    func handle(
        _ line: ByteBuffer, peer: PeerCredentials, outbox session: ControlOutbox,
        reply answer: (WireEncoder.Answer, Int) -> Void
    ) -> RequestRouter.Handled {
        let bytes = Data(line.readableBytesView)
        if bytes.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { return .answered }
        let request: ControlRequest
        switch RequestDecoder.decode(bytes) {
        case .success(let decoded): request = decoded
        case .failure(let failure):
            answer(.message(.failure(id: failure.id, failure.code, failure.message)), session.version)
            return .answered
        }
        let id = request.id
        if let version = request.v, !ControlProtocol.versions.contains(version) {
            answer(
                .message(
                    .failure(
                        id: id, .unsupportedVersion,
                        "protocol version \(version) is not supported; this server speaks 1 to \(ControlProtocol.latestVersion)"
                    )), session.version)
            return .answered
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
            return .answered
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
                return .answered
            }
            guard session.beginSubscription() else {
                reply(.failure(id: id, .invalidArgument, "this connection is already subscribed"))
                return .answered
            }
            // Not an event: every subscriber would be told of every other, a thousand subscribers a million
            // lines, and the recent events would hold nothing else.
            logReadOnly(operation, peer: peer)
            session.version = version
            reply(.subscribed(id: id, intervalMs: interval))
            // The fan-out queues the first snapshot as it adds the subscriber; see SubscriberFanout.add.
            if !fanout.add(session, intervalMs: interval, version: version) { session.endSubscription() }
        case .shutdown:
            // One decision per grace form: what the audit says, and which drain it asks for.
            let what: String
            let drain: () throws -> Void
            switch (request.grace, request.maxGrace) {
            case (.seconds(let grace)?, _) where !ControlProtocol.isValidGrace(grace):
                reply(.failure(id: id, .invalidArgument, "grace must be a number of seconds from 0 to 86400, or auto"))
                return .answered
            case (.auto?, let cap):
                let cap = cap ?? ControlProtocol.defaultMaxGrace
                guard ControlProtocol.isValidMaxGrace(cap) else {
                    reply(
                        .failure(
                            id: id, .invalidArgument, "max_grace must be a number of seconds above 0, at most 86400"))
                    return .answered
                }
                what = " grace auto, at most \(cap)s"
                drain = { [pool] in try pool.drain(plannedGraceUpTo: .milliseconds(Int64(cap * 1000)), cause: cause) }
            case (_, _?):
                // A cap without a plan would be ignored silently: say so instead.
                reply(.failure(id: id, .invalidArgument, "max_grace goes with \"grace\":\"auto\""))
                return .answered
            case (.seconds(let grace)?, nil):
                what = " grace \(grace)s"
                drain = { [pool] in try pool.drain(grace: .milliseconds(Int64(grace * 1000)), cause: cause) }
            case (nil, nil):
                what = " (default grace)"
                drain = { [pool] in try pool.drain(grace: nil, cause: cause) }
            }
            guard pool.phase < .forcing else {
                reply(.failure(id: id, .alreadyStopped, "the pool is already \(pool.phase)"))
                return .answered
            }
            pool.audit("shutdown" + what, cause: cause)
            do {
                try drain()
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
                return .answered
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
                return .answered
            }
            pool.audit("force", cause: cause)
            pool.force(cause: cause)
            replySnapshot()
        case .history:
            logReadOnly(operation, peer: peer)
            return history(request, version: version, outbox: session, reply: reply)
        }
        return .answered
    }

    /// `history`: checks the request here, on the event loop, and hands the journal read to
    /// ``HistoryReads``; the connection's later lines wait for its answer.
    private func history(
        _ request: ControlRequest, version: Int, outbox session: ControlOutbox, reply: (ControlMessage) -> Void
    ) -> RequestRouter.Handled {
        let id = request.id
        let limit = request.limit ?? ControlProtocol.defaultHistoryLimit
        let limits = ControlProtocol.historyLimits
        guard limits.contains(limit) else {
            reply(
                .failure(
                    id: id, .invalidArgument,
                    "limit must be between \(limits.lowerBound) and \(limits.upperBound), got \(limit)"))
            return .answered
        }
        if let drainID = request.drainID, drainID < 1 {
            reply(.failure(id: id, .invalidArgument, "drain_id must be a drain's ID, 1 or more, got \(drainID)"))
            return .answered
        }
        guard pool.keepsDrainHistory else {
            reply(
                .failure(
                    id: id, .noHistory,
                    "the journal of \(pool.name) keeps no drain history (it records no drains: an in-memory journal)"))
            return .answered
        }
        // Decided under the outbox's lock (the connection still takes lines), done after it: the read
        // is queued, and answered from a task of the server's (see HistoryReads).
        guard session.awaitReply() else { return .answered }
        let read = HistoryReads.Request(
            id: id, drainID: request.drainID, limit: limit, version: version, outbox: session)
        guard historyReads.submit(read) else {
            session.awaitEnded()
            reply(.failure(id: id, .serverStopping, "the server is stopping"))
            return .answered
        }
        return .awaiting
    }

    /// A request that changes nothing in the pool (hello, status, subscribe, history): logged with its peer and
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
