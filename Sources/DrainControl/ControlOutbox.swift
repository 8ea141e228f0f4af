import DrainProtocol
import Foundation
import NIOCore
import Synchronization

/// The outgoing side of one server connection: encoded lines written straight to its channel, on its
/// event loop, with the unsent ones counted.
///
/// Replies, pushed snapshots and events all reach the channel on its event loop, so the order on the wire
/// is the order they got there. Lines arrive already encoded, so a snapshot encoded once can be written
/// to a thousand connections without being encoded a thousand times; the fan-out hands them over in one
/// task per event loop and tick (``write(_:)``), not one wake-up per connection. There is no queue and no
/// writer task per connection: a line is handed to NIO at once, and the lines NIO has not yet written to
/// the socket are the backlog. A client that lets ``ControlServerConfiguration/maxPendingLines`` of them pile
/// up is not reading: it is dropped rather than allowed to make anyone wait. The server's watchdog reads
/// ``activity`` to close connections that take no line for the write timeout or stay idle.
final class ControlOutbox: Sendable {
    /// The `seq` of the newest snapshot written to this subscriber: a pushed snapshot older than the one it
    /// has (a tick read before its first, fresh snapshot was taken) is skipped, so a client never sees the
    /// pool go back in time.
    private let newestSnapshot = Atomic<UInt64>(0)

    /// Whether a snapshot with `seq` is newer than every one this subscriber has been given, recording it
    /// as the newest if so. Called on the channel's event loop, in the order the lines are written.
    func claimSnapshot(_ seq: UInt64) -> Bool {
        var current = newestSnapshot.load(ordering: .relaxed)
        while seq > current {
            let (exchanged, original) = newestSnapshot.compareExchange(
                expected: current, desired: seq, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// What the watchdog needs to know about a connection, in nanoseconds of ``ControlOutbox/now``.
    struct Activity: Sendable {
        /// While lines wait to be written: when the client last took one (or the first was handed over);
        /// nil when nothing waits.
        var writeStarted: UInt64?
        /// When the last request line arrived (or the connection was accepted).
        var lastRequest: UInt64
        var subscribed: Bool
        /// Takes no more lines: its last ones are handed over, or it is closed or being closed.
        var ending = false
        /// The server has admitted the connection and answers its requests. Until then any wait is the
        /// server's, not the client's: it is never idle.
        var answering = true
        /// A request's answer is being prepared off the event loop (`history`): the wait is the server's,
        /// so the connection is not idle, and a stopping server gives it its close grace.
        var awaitingReply = false
    }

    private struct State {
        /// The protocol version the client asked for in `hello` (or its subscribe); 1 until it does.
        var version = ControlProtocol.version
        var subscribed = false
        var lastRequest: UInt64
        /// Lines handed to the channel whose write has not completed.
        var pending = 0
        /// See ``Activity/writeStarted``.
        var progress: UInt64?
        /// No more lines are taken; the channel closes once the pending ones are written.
        var finishing = false
        /// The channel closed, or is closing: nothing more is written.
        var closed = false
        /// See ``Activity/answering``.
        var answering = false
        /// Answers being prepared off the event loop and not yet written (see ``Activity/awaitingReply``).
        var awaitingReplies = 0
    }

    private let state: Mutex<State>
    let channel: any Channel
    private let encoder: WireEncoder
    private let maxPending: Int

    init(channel: any Channel, maxPending: Int, encoder: WireEncoder) {
        self.channel = channel
        self.encoder = encoder
        self.maxPending = maxPending
        state = Mutex(State(lastRequest: Self.now))
        // A connection closed from either side takes no more lines, so nothing keeps serving a dead client.
        channel.closeFuture.whenComplete { _ in self.state.withLock { $0.closed = true } }
    }

    /// Nanoseconds on a monotonic clock, cheap enough to read per line.
    static var now: UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Encodes and sends a message; false when the connection is gone or too far behind.
    @discardableResult
    func send(_ message: ControlMessage) -> Bool {
        guard let line = encoder.line(message, version: version) else { return false }
        return send(line: line)
    }

    /// Sends an encoded line (ending in a newline): written at once on the channel's event loop, else
    /// handed to it. False when the connection is gone or too far behind, in which case it is closed.
    @discardableResult
    func send(line: ByteBuffer) -> Bool {
        if channel.eventLoop.inEventLoop { return write(line) }
        guard isOpen else { return false }
        channel.eventLoop.execute { _ = self.write(line) }
        return true
    }

    /// Writes and flushes a line; call it on the channel's event loop. False when the connection is gone
    /// or too far behind, in which case it is closed.
    func write(_ line: ByteBuffer) -> Bool {
        channel.eventLoop.preconditionInEventLoop()
        let now = Self.now
        let verdict = state.withLock { state -> Bool? in
            guard !state.closed, !state.finishing else { return false }
            guard state.pending < maxPending else { return nil }
            state.pending += 1
            if state.progress == nil { state.progress = now }
            return true
        }
        switch verdict {
        case true?:
            break
        case false?:
            return false
        case nil:
            // Too far behind: whatever it has not taken is dropped with it.
            shut(.slowClient, "more than \(maxPending) lines not taken; closing")
            return false
        }
        let promise = channel.eventLoop.makePromise(of: Void.self)
        channel.writeAndFlush(line, promise: promise)
        promise.futureResult.whenComplete { result in self.written(result) }
        return true
    }

    /// A write completed (or failed): the client took a line, or is gone.
    private func written(_ result: Result<Void, any Error>) {
        let failed: Bool
        if case .failure = result { failed = true } else { failed = false }
        let close = state.withLock { state -> Bool in
            state.pending -= 1
            state.progress = state.pending > 0 ? Self.now : nil
            if failed {
                let first = !state.closed
                state.closed = true
                return first
            }
            return state.finishing && state.pending == 0 && !state.closed && state.awaitingReplies == 0
        }
        if close { channel.close(promise: nil) }
    }

    /// False once the connection takes no more lines: closing, closed, or being ended on purpose.
    var isOpen: Bool { state.withLock { !$0.closed && !$0.finishing } }

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
    func endSubscription() { finish() }

    /// The connection is admitted and its requests answered from now on: idleness counts from here.
    func answering() {
        state.withLock {
            $0.answering = true
            $0.lastRequest = Self.now
        }
    }

    /// A request line arrived: the connection is not idle.
    func requestArrived() { state.withLock { $0.lastRequest = Self.now } }

    /// A request is answered later, off the event loop; false when the connection takes no more lines
    /// (there is no one left to answer). The router holds the connection's next lines meanwhile.
    func awaitReply() -> Bool {
        state.withLock { state in
            guard !state.closed, !state.finishing else { return false }
            state.awaitingReplies += 1
            return true
        }
    }

    /// The answer to the request that ``awaitReply()`` deferred: written on the channel's event loop by the
    /// router, in its place among the replies, and the connection's held lines are answered after it. From
    /// any thread.
    func deliverAwaited(_ answer: WireEncoder.Answer, version: Int) {
        guard channel.eventLoop.inEventLoop else {
            channel.eventLoop.execute { self.deliverAwaited(answer, version: version) }
            return
        }
        // Gone when the channel closed meanwhile: the answer has no one to go to.
        guard let router = try? channel.pipeline.syncOperations.handler(type: RequestRouter.self) else {
            awaitEnded()
            return
        }
        router.resume(with: answer, version: version)
        // Counted as awaited until written, so a connection told to finish meanwhile (its subscription
        // ended) closes only after this answer is out.
        router.afterWrites { self.awaitEnded() }
    }

    /// The answer ``awaitReply()`` announced is out (or will not come). Idleness counts from now: the client
    /// waited for the server until then. A connection that was told to finish meanwhile closes now.
    func awaitEnded() {
        let close = state.withLock { state -> Bool in
            state.awaitingReplies -= 1
            state.lastRequest = Self.now
            return state.finishing && state.pending == 0 && !state.closed && state.awaitingReplies == 0
        }
        if close { channel.close(promise: nil) }
    }

    /// The client stopped sending: end the connection unless a subscription still streams to it.
    func endInbound() {
        if state.withLock({ !$0.subscribed }) { finish() }
    }

    /// Takes no more lines: those already sent are still written, then the connection closes.
    func close() { finish() }

    /// Ends the connection on purpose, with an error line saying why as its last line; see
    /// ``RequestRouter/shut(_:version:)``. Takes no more lines from now on.
    func shut(_ code: WireErrorCode, _ message: String) {
        guard channel.eventLoop.inEventLoop else {
            channel.eventLoop.execute { self.shut(code, message) }
            return
        }
        let (first, finishing, version) = state.withLock { state -> (Bool, Bool, Int) in
            defer { state.closed = true }
            return (!state.closed, state.finishing, state.version)
        }
        guard first else { return }
        // Its subscription already ended with the pool's final event and snapshot, which say why it
        // closes: only a client that stopped taking them is still here, and it is closed outright.
        guard !finishing else {
            channel.close(promise: nil)
            return
        }
        guard let router = try? channel.pipeline.syncOperations.handler(type: RequestRouter.self) else {
            channel.close(promise: nil)
            return
        }
        router.shut(.failure(id: nil, code, message), version: version)
    }

    /// Whether the server, stopping, should wait for this connection before closing it: a subscription
    /// not yet ended (its final event and snapshot are on their way to it), or lines still waiting for a
    /// client that took one within `recent`. Not for a client that stopped reading or one that holds a
    /// connection without a request in flight: neither may delay the end.
    static func awaitsFinalLines(_ activity: Activity, now: UInt64, recent: UInt64) -> Bool {
        if activity.subscribed && !activity.ending { return true }
        // A `history` answer on its way: the client asked and waits for it.
        if activity.awaitingReply && !activity.ending { return true }
        guard let started = activity.writeStarted else { return false }
        return now <= started || now - started <= recent
    }

    /// Why the watchdog ends a connection, if it does: pure, so the rule is tested without a clock.
    ///
    /// Elapsed times saturate at zero: a line written or a request read after the watchdog read `now`
    /// is recent, not 2^64 ns old. (With wrapping subtraction, a connection busy at the moment of the
    /// check was closed as stalled or idle: an operator's `status` loop, or `top`'s subscription.)
    static func watchdogVerdict(
        _ activity: Activity, now: UInt64, writeTimeout: UInt64, idleTimeout: UInt64
    ) -> WireErrorCode? {
        func elapsed(since start: UInt64) -> UInt64 { now > start ? now - start : 0 }
        if let started = activity.writeStarted {
            return elapsed(since: started) > writeTimeout ? .slowClient : nil
        }
        if activity.answering, !activity.subscribed, !activity.awaitingReply,
            elapsed(since: activity.lastRequest) > idleTimeout
        {
            return .idleTimeout
        }
        return nil
    }

    /// On the event loop, behind every line sent before it from the same thread.
    private func finish() {
        guard channel.eventLoop.inEventLoop else {
            channel.eventLoop.execute { self.finish() }
            return
        }
        let close = state.withLock { state -> Bool in
            state.finishing = true
            // An answer being prepared (`history`) closes the connection once written: see deliverAwaited.
            return state.pending == 0 && !state.closed && state.awaitingReplies == 0
        }
        if close { channel.close(promise: nil) }
    }

    var activity: Activity {
        state.withLock {
            Activity(
                writeStarted: $0.progress, lastRequest: $0.lastRequest, subscribed: $0.subscribed,
                ending: $0.finishing || $0.closed, answering: $0.answering,
                awaitingReply: $0.awaitingReplies > 0)
        }
    }
}
