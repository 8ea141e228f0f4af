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
        let admitted = connections.withLock { connections -> Bool in
            guard connections.count < configuration.maxClients else { return false }
            connections[id] = channel
            return true
        }
        defer { _ = connections.withLock { $0.removeValue(forKey: id) } }
        let session = ControlSession(channel: channel, maxPending: configuration.maxPendingLines)
        guard admitted else {
            logger.warning("refusing a connection: too many clients", metadata: ["drain.max_clients": "\(configuration.maxClients)"])
            session.send(.failure(id: nil, .tooManyClients, "too many clients (at most \(configuration.maxClients)); try again later"))
            session.close()
            await writeAll(session, connection)
            return
        }
        // No credentials: fail closed. Usually the peer already hung up (a liveness probe), so this is
        // not audited as an event, only logged.
        guard let peer = await peerCredentials(of: channel) else {
            logger.debug("cannot read peer credentials; refusing")
            session.send(.failure(id: nil, .forbidden, "cannot verify the peer's credentials"))
            session.close()
            await writeAll(session, connection)
            return
        }
        guard peer.isAllowed() else {
            logger.warning(
                "refusing a peer with another uid",
                metadata: ["drain.peer.pid": "\(peer.pid)", "drain.peer.uid": "\(peer.uid)"]
            )
            pool.audit("refused connection", cause: .client(pid: peer.pid, uid: peer.uid))
            session.send(.failure(id: nil, .forbidden, "only uid \(geteuid()) or root may use this socket"))
            session.close()
            await writeAll(session, connection)
            return
        }
        do {
            try await connection.executeThenClose { inbound, outbound in
                await withDiscardingTaskGroup { group in
                    group.addTask { await self.write(session.lines, to: outbound, channel: channel) }
                    do {
                        for try await line in inbound {
                            await self.handle(line, peer: peer, session: session, group: &group)
                        }
                        session.endInbound()
                    } catch is LineFrameDecoder.LineTooLong {
                        session.send(
                            .failure(id: nil, .lineTooLong, "request line longer than \(self.configuration.maxLineBytes) bytes; closing")
                        )
                        session.close()
                    } catch {
                        session.close()
                    }
                }
            }
        } catch {
            logger.debug("connection ended", metadata: ["drain.error": "\(error)"])
        }
    }

    /// Writes every queued line; a client that does not take a line within the write timeout is dropped.
    private func write(
        _ lines: AsyncStream<ByteBuffer>, to outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, channel: any Channel
    ) async {
        let timeout = configuration.writeTimeout
        for await line in lines {
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await outbound.write(line) }
                    group.addTask {
                        try await Task.sleep(for: timeout)
                        // Closing fails the stuck write, so the group can end.
                        channel.close(promise: nil)
                        throw CancellationError()
                    }
                    try await group.next()
                    group.cancelAll()
                }
            } catch {
                logger.info("dropping a client that stopped reading")
                channel.close(promise: nil)
                return
            }
        }
    }

    private func writeAll(_ session: ControlSession, _ connection: Connection) async {
        try? await connection.executeThenClose { _, outbound in
            await self.write(session.lines, to: outbound, channel: connection.channel)
        }
    }

    private func peerCredentials(of channel: any Channel) async -> PeerCredentials? {
        guard let provider = channel as? any SocketOptionProvider else { return nil }
        let future: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)
        )
        return try? await future.get()
    }
}
