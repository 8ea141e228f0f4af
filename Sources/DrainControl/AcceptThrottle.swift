import NIOCore

/// Slows the listener's accepts while the server is full, as HAProxy stops accepting at `maxconn`.
///
/// A connection over the client limit is refused (``ControlServer``'s initializer), but refusing costs an
/// event loop its registration, activation, a line, a close and a linger. A storm of clients that
/// reconnect the moment they are refused kept both loops refusing thousands a second, in bursts that
/// queued thousands of tasks on a loop; an admitted operator's `status`, answered on the same loop, waited
/// behind a burst for up to 170 ms (`bench/run --only storm`). While the server is full this handler lets
/// one read of the listening socket (up to `maxMessagesPerRead` accepts, 4) through per ``pause``; the
/// rest wait in the kernel's backlog and are refused in turn, and once a slot frees, accepting runs at
/// full speed again.
///
/// It sits on the server channel, nearest the socket, so it sees every read the channel is asked for.
final class AcceptThrottle: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = Channel
    typealias InboundOut = Channel
    typealias OutboundIn = Channel

    /// Between two reads of the listening socket while full: four refusals per 10 ms is at most 400 a
    /// second, a few percent of one event loop.
    static let pause = TimeAmount.milliseconds(10)

    private let isFull: @Sendable () -> Bool
    private var scheduled: Scheduled<Void>?

    /// - Parameter isFull: Whether the server has as many connections as it admits (read on the listener's
    ///   event loop, under the connections' lock).
    init(isFull: @escaping @Sendable () -> Bool) {
        self.isFull = isFull
    }

    func read(context: ChannelHandlerContext) {
        // A read is already waiting for its turn; it will be made.
        guard scheduled == nil else { return }
        guard isFull() else {
            context.read()
            return
        }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        scheduled = context.eventLoop.scheduleTask(in: Self.pause) {
            let (throttle, context) = loopBound.value
            throttle.scheduled = nil
            // Full or not, this read is made: refused clients must hear that they are, not wait unanswered.
            context.read()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        scheduled?.cancel()
        scheduled = nil
        context.fireChannelInactive()
    }

    /// A read still waiting is made at once: without this handler nothing else would make it, and the
    /// listener would stop accepting (NIO's `AcceptBackoffHandler` does the same).
    func handlerRemoved(context: ChannelHandlerContext) {
        guard let waiting = scheduled else { return }
        waiting.cancel()
        scheduled = nil
        if context.channel.isActive { context.read() }
    }
}
