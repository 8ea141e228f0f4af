import NIOCore
import Synchronization

/// Every connection NIO accepts for a ``ControlServer``, from its channel initializer until it closes.
///
/// The listener's async stream is not a safe owner for a connection accepted as the listener closes.
/// NIO runs the child initializer on the child's event loop and hands the result to the listener's stream
/// afterwards; when that stream has already finished it drops the wrapper. Such a connection is then
/// either never registered (nobody reads it and its client waits for ever: the abuse test's hang) or
/// registered later without its wrapper, which traps in NIO (`Deinited NIOAsyncWriter without calling
/// finish()`). So this list keeps the wrapper alive until the channel has closed, and ``closeAll()``
/// closes every connection not yet closed, including ones added after it ran. A connection refused in
/// the initializer has no wrapper: it is kept only so that ``closeAll()`` closes it too.
final class AcceptedChannels: Sendable {
    typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    private struct Entry: Sendable {
        var channel: any Channel
        var wrapper: Connection?
    }

    /// A struct, not an enum with the table as its payload: taking the table out of an enum case to
    /// change it copied all of it under the lock, on every accept and every close. Under a storm of
    /// refused clients, each kept open for the close linger, that was thousands of entries copied per
    /// connection while both event loops waited on this lock.
    private struct State {
        var connections: [ObjectIdentifier: Entry] = [:]
        var closed = false
    }

    private let state = Mutex(State())

    /// Keeps `connection` until its channel closes; closes it at once if ``closeAll()`` already ran.
    func add(_ connection: Connection) { add(connection.channel, wrapper: connection) }

    /// Keeps `channel` (and its wrapper, if any) until it closes; closes it at once if ``closeAll()``
    /// already ran.
    func add(_ channel: any Channel, wrapper connection: Connection? = nil) {
        let id = ObjectIdentifier(channel)
        let admitted = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.connections[id] = Entry(channel: channel, wrapper: connection)
            return true
        }
        // NIO runs close callbacks after it has removed the handlers, which finishes the wrapper's writer:
        // releasing the wrapper here, and not before, can never trap.
        channel.closeFuture.whenComplete { _ in
            let entry = self.state.withLock { $0.connections.removeValue(forKey: id) }
            withExtendedLifetime((entry, connection)) {}
        }
        if !admitted { channel.close(promise: nil) }
    }

    /// How many accepted connections are still open (0 once closed).
    var count: Int { state.withLock { $0.closed ? 0 : $0.connections.count } }

    /// Closes every connection accepted so far and, from now on, every one added; returns when all of
    /// those accepted so far have closed.
    func closeAll() async {
        let channels = state.withLock { state -> [any Channel] in
            guard !state.closed else { return [] }
            state.closed = true
            defer { state.connections = [:] }
            return state.connections.values.map(\.channel)
        }
        // A channel NIO never registered closes as well; an already closed one fails, which is fine.
        for channel in channels { channel.close(promise: nil) }
        for channel in channels { try? await channel.closeFuture.get() }
    }
}
