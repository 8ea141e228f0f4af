import DrainProtocol
import NIOCore

/// Answers request lines on the event loop that read them.
///
/// It sits between the line framer and the connection's async wrapper. Until the server has admitted
/// the connection and checked its peer (``activate(_:)``), lines wait here, in order. After that each line
/// is handled where it arrived and its reply written at once: no hop to a task and back to the loop.
/// Pushed lines (snapshots, events) still come from the connection's outbox.
///
/// End of input is passed on only when every reply written so far has been flushed, so a client that
/// sends its requests and half-closes gets all its answers before the server closes.
final class RequestRouter: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Handles one line; calls `reply` for each answer with the protocol version it is in, synchronously.
    typealias Handle = (ByteBuffer, (ControlMessage, Int) -> Void) -> Void

    private var handle: Handle?
    private var encoder: WireEncoder?
    private var waiting: [ByteBuffer] = []
    private var waitingBytes = 0
    private var lastWrite: EventLoopFuture<Void>?
    private var context: ChannelHandlerContext?
    /// Lines that may wait before admission; more is not a client that means well.
    private let maxWaitingBytes: Int

    init(maxWaitingBytes: Int) { self.maxWaitingBytes = maxWaitingBytes }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// The connection is admitted: handle what waited, then every line as it comes.
    func activate(encoder: WireEncoder, _ handle: @escaping Handle) {
        self.encoder = encoder
        self.handle = handle
        let waiting = self.waiting
        self.waiting = []
        waitingBytes = 0
        for line in waiting { route(line) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = unwrapInboundIn(data)
        guard handle != nil else {
            waitingBytes += line.readableBytes
            guard waitingBytes <= maxWaitingBytes else {
                context.close(promise: nil)
                return
            }
            waiting.append(line)
            return
        }
        route(line)
    }

    private func route(_ line: ByteBuffer) {
        guard let handle, let encoder else { return }
        handle(line) { message, version in
            guard let context = self.context, let bytes = encoder.line(message, version: version) else { return }
            // A client that does not read its replies is dropped, as one that does not read its
            // subscription is: it must not make the server buffer without end.
            guard context.channel.isWritable else {
                context.close(promise: nil)
                return
            }
            let promise = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(bytes), promise: promise)
            lastWrite = promise.futureResult
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case ChannelEvent.inputClosed = event, let lastWrite else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // Pass the end on once the replies are out, whatever became of the writes. The write's future
        // completes on this event loop, so the context may be used there.
        lastWrite.assumeIsolated().whenComplete { _ in
            context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        }
    }
}
