import DrainProtocol
import NIOCore

/// Answers request lines on the event loop that read them, and ends connections on purpose.
///
/// It sits between the line framer and the connection's async wrapper. Until the server has admitted
/// the connection and checked its peer (``activate(encoder:_:)``), lines wait here, in order. After that
/// each line is handled where it arrived and its reply written at once: no hop to a task and back to the
/// loop. Pushed lines (snapshots, events) still come from the connection's outbox.
///
/// End of input is passed on only when every reply written so far has been flushed, so a client that
/// sends its requests and half-closes gets all its answers before the server closes.
///
/// A connection the server ends on purpose (a limit, a stalled client, a bad frame, the server stopping)
/// ends here, in ``shut(_:version:)``: its last line says why, then its output closes and whatever the
/// client still sends is read and discarded until it closes too, or ``linger`` passes. Closing with
/// unread input would reset the connection (ECONNRESET), and the client could lose the line that says
/// why before reading it.
final class RequestRouter: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Handles one line; calls `reply` for each answer with the protocol version it is in, synchronously.
    typealias Handle = (ByteBuffer, (WireEncoder.Answer, Int) -> Void) -> Void

    private var handle: Handle?
    private var encoder: WireEncoder
    private var waiting: [ByteBuffer] = []
    private var waitingBytes = 0
    private var lastWrite: EventLoopFuture<Void>?
    private var context: ChannelHandlerContext?
    /// Set once the connection is being ended on purpose: input is discarded from then on.
    private var shutting = false
    /// The longest request line, for the message that refuses a longer one.
    private let maxLineBytes: Int
    /// Lines that may wait before admission; more is not a client that means well.
    private let maxWaitingBytes: Int
    /// How long an ended connection waits for its client to close before closing anyway.
    let linger: TimeAmount

    /// Told of every line as it arrives, admitted or not: a request waiting for admission is not idleness.
    private let arrived: () -> Void

    init(maxLineBytes: Int, encoder: WireEncoder, linger: TimeAmount, arrived: @escaping () -> Void = {}) {
        self.arrived = arrived
        self.maxLineBytes = maxLineBytes
        self.maxWaitingBytes = 4 * maxLineBytes
        self.encoder = encoder
        self.linger = linger
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// The connection is admitted: handle what waited, then every line as it comes.
    func activate(encoder: WireEncoder, _ handle: @escaping Handle) {
        guard !shutting else { return }
        self.encoder = encoder
        self.handle = handle
        let waiting = self.waiting
        self.waiting = []
        waitingBytes = 0
        for line in waiting { route(line) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = unwrapInboundIn(data)
        if shutting { return }
        arrived()
        guard handle != nil else {
            waitingBytes += line.readableBytes
            guard waitingBytes <= maxWaitingBytes else {
                shut(
                    .failure(
                        id: nil, .requestFlood,
                        "more than \(maxWaitingBytes) bytes of requests before the connection was admitted; closing"))
                return
            }
            waiting.append(line)
            return
        }
        route(line)
    }

    private func route(_ line: ByteBuffer) {
        guard let handle else { return }
        handle(line) { answer, version in
            guard !self.shutting, let context = self.context else { return }
            // A client that does not read its replies is dropped, as one that does not read its
            // subscription is: it must not make the server buffer without end.
            guard context.channel.isWritable else {
                self.shut(
                    .failure(id: nil, .slowClient, "the client does not read its replies; closing"), version: version)
                return
            }
            self.write(answer, version: version)
        }
    }

    private func write(_ answer: WireEncoder.Answer, version: Int) {
        guard let context, let bytes = encoder.line(answer, version: version) else { return }
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(bytes), promise: promise)
        lastWrite = promise.futureResult
    }

    /// Ends the connection on purpose, with `message` as its last line (in `version`).
    ///
    /// The line is written, then the output closes, so the client reads the line and then end of file;
    /// its input is read and discarded until it closes or ``linger`` passes, and then the connection
    /// closes whatever the client is doing. A client that stopped reading gets the line behind what it
    /// has not taken, if it reads again within the linger; otherwise the close drops them all. Either
    /// way the server buffers nothing more for it: nothing else is written after this line.
    func shut(_ message: ControlMessage, version: Int = ControlProtocol.version) {
        guard !shutting, let context else { return }
        shutting = true
        handle = nil
        waiting = []
        // Refused in the channel's initializer, before NIO registered it: nothing can be written yet.
        guard context.channel.isActive else {
            pendingShut = (message, version)
            return
        }
        end(with: message, version: version, context: context)
    }

    /// A refusal decided before the channel was active, written once it is.
    private var pendingShut: (ControlMessage, Int)?

    func channelActive(context: ChannelHandlerContext) {
        if let (message, version) = pendingShut {
            pendingShut = nil
            end(with: message, version: version, context: context)
        }
        context.fireChannelActive()
    }

    private func end(with message: ControlMessage, version: Int, context: ChannelHandlerContext) {
        // Read (and discard) whatever the client sends from now on, whoever managed reads before (the
        // async wrapper reads on demand, and a refused connection has none): input left unread at the
        // close would reset the connection.
        try? context.channel.syncOptions?.setOption(.autoRead, value: true)
        context.read()
        write(.message(message), version: version)
        let written = lastWrite ?? context.eventLoop.makeSucceededVoidFuture()
        // Through `self.context`: nil once the channel closed and removed this handler.
        written.assumeIsolated().whenComplete { _ in self.context?.close(mode: .output, promise: nil) }
        context.eventLoop.assumeIsolated().scheduleTask(in: linger) { self.context?.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case ChannelEvent.inputClosed = event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        if shutting {
            // The client read its last line and closed: nothing is left to say or to read.
            let written = lastWrite ?? context.eventLoop.makeSucceededVoidFuture()
            written.assumeIsolated().whenComplete { _ in self.context?.close(promise: nil) }
            return
        }
        guard let lastWrite else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // Pass the end on once the replies are out, whatever became of the writes. The write's future
        // completes on this event loop, so the context may be used there.
        lastWrite.assumeIsolated().whenComplete { _ in
            context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is LineFrameDecoder.LineTooLong else {
            context.fireErrorCaught(error)
            return
        }
        // The framer refuses the rest of the stream; say so on the line, then end as for any other limit.
        shut(
            .failure(id: nil, .lineTooLong, "request line longer than \(maxLineBytes) bytes; closing"))
    }
}
