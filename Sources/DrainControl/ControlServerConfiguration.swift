import DrainProtocol

/// Limits and placement of a ``ControlServer``.
public struct ControlServerConfiguration: Sendable {
    /// Where the socket goes.
    public var runDirectory: RunDirectory
    /// The longest request line accepted; a longer one gets `line_too_long` and the connection closes.
    public var maxLineBytes: Int = ControlProtocol.defaultMaxLineBytes
    /// The most connections at once; the next gets `too_many_clients` and is closed.
    public var maxClients: Int = 64
    /// Connections the kernel holds before the server accepts them (capped by `net.core.somaxconn`).
    /// Past it a client's connect fails with EAGAIN, so it is sized for a burst of hundreds.
    public var listenBacklog: Int = 1024
    /// Lines handed to a connection that it has not yet taken (still in NIO's buffer); a client that
    /// falls this far behind is dropped.
    public var maxPendingLines: Int = 256
    /// How long a client with lines waiting for it may take none before it is dropped.
    public var writeTimeout: Duration = .seconds(2)
    /// How long a connection may stay open without sending a request, unless it is subscribed. A
    /// connection that opens and holds would otherwise keep a client slot for ever.
    public var idleTimeout: Duration = .seconds(10)
    /// How long a connection the server ends on purpose waits, after its last line, for its client to
    /// close, while what the client still sends is read and discarded. Closing with unread input would
    /// reset the connection, and the client could lose the line that says why.
    public var closeLinger: Duration = .seconds(1)
    /// How long connections get, after the pool stopped, to receive the final event.
    public var closeGrace: Duration = .milliseconds(500)

    /// - Parameter runDirectory: Where the socket goes; usually ``RunDirectory/resolve(environment:)``.
    public init(runDirectory: RunDirectory = .resolve()) {
        self.runDirectory = runDirectory
    }
}
