import DrainProtocol
import Foundation
import NIOCore
import Synchronization

/// The outgoing side of one server connection: a bounded queue of encoded lines that one writer sends.
///
/// Replies, pushed snapshots and events share the queue, so the order on the wire is the order they were
/// queued. Lines are queued already encoded, so a snapshot encoded once can be queued on a thousand
/// connections without being encoded a thousand times. A full queue means the client is not reading:
/// it is dropped rather than allowed to make anyone wait. The server's watchdog reads ``activity`` to
/// close connections whose write is stuck or that stay idle.
final class ControlOutbox: Sendable {
    /// What the watchdog needs to know about a connection, in nanoseconds of ``ControlOutbox/now``.
    struct Activity: Sendable {
        /// When the write in progress began; nil when the writer waits for a line.
        var writeStarted: UInt64?
        /// When the last request line arrived (or the connection was accepted).
        var lastRequest: UInt64
        var subscribed: Bool
    }

    private struct State {
        /// The protocol version the client asked for in `hello` (or its subscribe); 1 until it does.
        var version = ControlProtocol.version
        var subscribed = false
        var inboundDone = false
        var writeStarted: UInt64?
        var lastRequest: UInt64
    }

    let lines: AsyncStream<ByteBuffer>
    private let sink: AsyncStream<ByteBuffer>.Continuation
    private let state: Mutex<State>
    let channel: any Channel
    private let encoder: WireEncoder

    init(channel: any Channel, maxPending: Int, encoder: WireEncoder) {
        self.channel = channel
        self.encoder = encoder
        state = Mutex(State(lastRequest: Self.now))
        (lines, sink) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .bufferingOldest(maxPending))
        // A connection closed from either side ends the queue, so nothing keeps serving a dead client.
        let sink = self.sink
        channel.closeFuture.whenComplete { _ in sink.finish() }
    }

    /// Nanoseconds on a monotonic clock, cheap enough to read per line.
    static var now: UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Encodes and queues a message; false when the connection is gone or too far behind.
    @discardableResult
    func send(_ message: ControlMessage) -> Bool {
        guard let line = encoder.line(message, version: version) else { return false }
        return send(line: line)
    }

    /// Queues an encoded line (ending in a newline); false when the connection is gone or too far behind,
    /// in which case it is closed.
    @discardableResult
    func send(line: ByteBuffer) -> Bool {
        switch sink.yield(line) {
        case .enqueued:
            return true
        case .dropped:
            channel.close(promise: nil)
            sink.finish()
            return false
        case .terminated:
            return false
        @unknown default:
            return false
        }
    }

    /// The protocol version this connection's lines carry.
    var version: Int {
        get { state.withLock { $0.version } }
        set { state.withLock { $0.version = newValue } }
    }

    /// Marks a subscription active; false if one already is.
    func beginSubscription() -> Bool {
        state.withLock { state in
            if state.subscribed { return false }
            state.subscribed = true
            return true
        }
    }

    /// The subscription is over: end the connection once its lines are written.
    func endSubscription() { sink.finish() }

    /// A request line arrived: the connection is not idle.
    func requestArrived() { state.withLock { $0.lastRequest = Self.now } }

    /// The client stopped sending: end the connection unless a subscription still streams to it.
    func endInbound() {
        let finish = state.withLock { state -> Bool in
            state.inboundDone = true
            return !state.subscribed
        }
        if finish { sink.finish() }
    }

    /// Ends the queue: lines already queued are still written, then the connection closes.
    func close() { sink.finish() }

    /// Called by the writer around each write, for the watchdog.
    func writing(_ active: Bool) {
        let now = active ? Self.now : nil
        state.withLock { $0.writeStarted = now }
    }

    var activity: Activity {
        state.withLock {
            Activity(writeStarted: $0.writeStarted, lastRequest: $0.lastRequest, subscribed: $0.subscribed)
        }
    }
}
