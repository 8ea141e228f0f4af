import Drain
import Foundation
import Logging
import NIOCore
import NIOPosix

extension ControlServer {
    /// Serves one admitted connection (see ``Accepted``). It never throws: a bad client is logged and
    /// closed, and nobody else notices.
    func serve(_ connection: Connection, outbox: ControlOutbox) async {
        let channel = connection.channel
        // The server is closing its connections: not worth serving. (``AcceptedChannels`` keeps the
        // wrapper alive until the close completes, so dropping it here without `executeThenClose` is safe.)
        if closing.load(ordering: .sequentiallyConsistent) {
            try? await channel.close()
            return
        }
        defer { fanout.remove(outbox) }
        // No credentials: fail closed. Usually the peer already hung up (a liveness probe), so this is
        // not audited as an event, only logged.
        // Reading the credentials and handing the connection to the router happen in one visit to its
        // event loop: the peer is checked there and, when allowed, its lines are answered from then on.
        guard let peer = await admitPeer(of: channel, outbox: outbox) else {
            logger.debug("cannot read peer credentials; refusing")
            outbox.shut(.forbidden, "cannot verify the peer's credentials")
            await closed(connection)
            return
        }
        guard peer.isAllowed() else {
            logger.warning(
                "refusing a peer with another uid",
                metadata: ["drain.peer.pid": "\(peer.pid)", "drain.peer.uid": "\(peer.uid)"]
            )
            pool.audit("refused connection", cause: .client(pid: peer.pid, uid: peer.uid))
            outbox.shut(.forbidden, "only uid \(geteuid()) or root may use this socket")
            await closed(connection)
            return
        }
        do {
            try await connection.executeThenClose { inbound, _ in
                do {
                    // The router answers each line on the event loop that read it (see admitPeer); this
                    // stream only tells when the input ends (or fails: a line too long).
                    // A line too long is answered and ended by the router itself (see RequestRouter.shut).
                    for try await _ in inbound {}
                    outbox.endInbound()
                } catch {
                    outbox.close()
                }
                // Replies and pushed lines are written by the outbox on the event loop; it closes the
                // channel once the last is out, or drops a client that stopped reading.
                try? await channel.closeFuture.get()
            }
        } catch {
            logger.debug("connection ended", metadata: ["drain.error": "\(error)"])
        }
    }

    /// Waits until the outbox has written its last line and closed the connection.
    private func closed(_ connection: Connection) async {
        try? await connection.executeThenClose { _, _ in
            try? await connection.channel.closeFuture.get()
        }
    }

    /// The peer's credentials (nil when they cannot be read), and, when the peer is allowed, the
    /// connection's lines (those that waited included) handed to ``handle(_:peer:outbox:reply:)`` on its
    /// event loop, in the same visit there.
    private func admitPeer(of channel: any Channel, outbox: ControlOutbox) async -> PeerCredentials? {
        guard let provider = channel as? any SocketOptionProvider else { return nil }
        let encoder = self.encoder
        let credentials: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)
        )
        let admitted = credentials.flatMapThrowing { peer -> PeerCredentials in
            guard peer.isAllowed() else { return peer }
            let router = try channel.pipeline.syncOperations.handler(type: RequestRouter.self)
            outbox.answering()
            router.activate(encoder: encoder) { line, reply in
                self.handle(line, peer: peer, outbox: outbox, reply: reply)
            }
            return peer
        }
        return try? await admitted.get()
    }
}
