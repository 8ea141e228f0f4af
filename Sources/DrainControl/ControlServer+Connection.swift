import Drain
import Foundation
import Logging
import NIOCore
import NIOPosix

extension ControlServer {
    /// Serves one connection. It never throws: a bad client is logged and closed, and nobody else notices.
    func serve(_ connection: Connection) async {
        let channel = connection.channel
        let id = ObjectIdentifier(channel)
        let outbox = ControlOutbox(channel: channel, maxPending: configuration.maxPendingLines, encoder: encoder)
        let admitted = connections.withLock { connections -> Bool in
            guard connections.count < configuration.maxClients else { return false }
            connections[id] = outbox
            return true
        }
        // The server is closing its connections: not worth serving. (``AcceptedChannels`` keeps the
        // wrapper alive until the close completes, so dropping it here without `executeThenClose` is safe.)
        if closing.load(ordering: .sequentiallyConsistent) {
            _ = connections.withLock { $0.removeValue(forKey: id) }
            try? await channel.close()
            return
        }
        defer {
            _ = connections.withLock { $0.removeValue(forKey: id) }
            fanout.remove(outbox)
        }
        guard admitted else {
            logger.warning(
                "refusing a connection: too many clients",
                metadata: ["drain.max_clients": "\(configuration.maxClients)"])
            outbox.send(
                .failure(
                    id: nil, .tooManyClients, "too many clients (at most \(configuration.maxClients)); try again later")
            )
            outbox.close()
            await writeAll(outbox, connection)
            return
        }
        // No credentials: fail closed. Usually the peer already hung up (a liveness probe), so this is
        // not audited as an event, only logged.
        guard let peer = await peerCredentials(of: channel) else {
            logger.debug("cannot read peer credentials; refusing")
            outbox.send(.failure(id: nil, .forbidden, "cannot verify the peer's credentials"))
            outbox.close()
            await writeAll(outbox, connection)
            return
        }
        guard peer.isAllowed() else {
            logger.warning(
                "refusing a peer with another uid",
                metadata: ["drain.peer.pid": "\(peer.pid)", "drain.peer.uid": "\(peer.uid)"]
            )
            pool.audit("refused connection", cause: .client(pid: peer.pid, uid: peer.uid))
            outbox.send(.failure(id: nil, .forbidden, "only uid \(geteuid()) or root may use this socket"))
            outbox.close()
            await writeAll(outbox, connection)
            return
        }
        do {
            try await connection.executeThenClose { inbound, outbound in
                await withDiscardingTaskGroup { group in
                    group.addTask { await self.write(outbox, to: outbound) }
                    do {
                        // From now on the router answers each line on the event loop that read it; this
                        // stream only tells when the input ends (or fails: a line too long).
                        try await self.activate(outbox.channel, peer: peer, outbox: outbox)
                        for try await _ in inbound {}
                        outbox.endInbound()
                    } catch is LineFrameDecoder.LineTooLong {
                        outbox.send(
                            .failure(
                                id: nil, .lineTooLong,
                                "request line longer than \(self.configuration.maxLineBytes) bytes; closing")
                        )
                        outbox.close()
                    } catch {
                        outbox.close()
                    }
                }
            }
        } catch {
            logger.debug("connection ended", metadata: ["drain.error": "\(error)"])
        }
    }

    /// Writes every queued line until the queue ends. A write that does not complete is not timed here
    /// (a timer per line would cost more than the write): the server's watchdog sees it in the outbox's
    /// activity and closes the connection, which fails the write.
    private func write(_ outbox: ControlOutbox, to outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async {
        for await line in outbox.lines {
            outbox.writing(true)
            do {
                try await outbound.write(line)
            } catch {
                logger.debug("dropping a client that stopped reading or went away")
                outbox.close()
                outbox.channel.close(promise: nil)
                return
            }
            outbox.writing(false)
        }
    }

    private func writeAll(_ outbox: ControlOutbox, _ connection: Connection) async {
        try? await connection.executeThenClose { _, outbound in
            await self.write(outbox, to: outbound)
        }
    }

    /// Hands the connection's lines, those that waited included, to ``handle(_:peer:outbox:reply:)``
    /// on its event loop.
    private func activate(_ channel: any Channel, peer: PeerCredentials, outbox: ControlOutbox) async throws {
        let encoder = self.encoder
        try await channel.eventLoop.submit {
            let router = try channel.pipeline.syncOperations.handler(type: RequestRouter.self)
            router.activate(encoder: encoder) { line, reply in
                outbox.requestArrived()
                self.handle(line, peer: peer, outbox: outbox, reply: reply)
            }
        }.get()
    }

    private func peerCredentials(of channel: any Channel) async -> PeerCredentials? {
        guard let provider = channel as? any SocketOptionProvider else { return nil }
        let future: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)
        )
        return try? await future.get()
    }
}
