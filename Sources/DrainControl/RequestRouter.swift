import DrainProtocol
import NIOCore

/// Answers request lines on the event loop that read them, and ends connections on purpose.
///
/// It sits between the line framer and the connection's async wrapper. Until the server has admitted
/// the connection and checked its peer (``activate(encoder:_:)``), lines wait here, in order. After that
/// each line is handled where it arrived and its reply written at once: no hop to a task and back to the
/// loop. Pushed lines (snapshots, events) still come from the connection's outbox.
///
/// A request whose answer is prepared off the event loop (`history`, which reads the journal: see
/// ``HistoryReads``) pauses the connection until the answer is back (``resume(with:version:)``), so
/// replies keep the order of their requests, which pipelining clients rely on. Meanwhile the socket is
/// not read: the lines already read wait here, the rest in the client's socket, so a client pipelining
/// large requests behind a `history` is slowed down, not buffered without end or dropped.
///
/// End of input is passed on only when every line has been answered and every reply written so far has
/// been flushed, so a client that sends its requests and half-closes gets all its answers before the
/// server closes.
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

    /// Handles one line; calls `reply` for each answer with the protocol version it is in, synchronously,
    /// and says whether the line's answer is still to come.
    typealias Handle = (ByteBuffer, (WireEncoder.Answer, Int) -> Void) -> Handled

    /// What became of a line.
    enum Handled {
        /// Answered (or needing no answer: a blank line).
        case answered
        /// Its answer comes later, through ``resume(with:version:)``; the lines after it wait until then.
        case awaiting
    }

    private var handle: Handle?
    private var encoder: WireEncoder
    private var waiting: [ByteBuffer] = []
    private var waitingBytes = 0
    private var lastWrite: EventLoopFuture<Void>?
    private var context: ChannelHandlerContext?
    /// Set once the connection is being ended on purpose: input is discarded from then on.
    private var shutting = false
    /// A line's answer is being prepared off the event loop: later lines wait in ``waiting``.
    private var awaiting = false
    /// The client ended its input before every line was answered: passed on once they are.
    private var inputEnded = false
    /// The awaited answer filled the channel's buffer (a long history): the lines held behind it wait
    /// until the client has taken it, so that their replies do not find a full channel and have a client
    /// that reads dropped as one that does not.
    private var flushing = false
    /// A read of the socket asked for while paused: made once the connection goes on.
    private var heldRead = false

    /// Lines are held, and the socket is not read: an answer is being prepared, or is still being taken.
    private var paused: Bool { awaiting || flushing }
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
        routeWaiting()
    }

    /// The answer to the line that was ``Handled/awaiting``: written now, then the lines that waited for it
    /// are handled in order. Call it on the channel's event loop.
    func resume(with answer: WireEncoder.Answer, version: Int) {
        guard awaiting else { return }
        awaiting = false
        reply(answer, version: version)
        guard let context, !shutting else { return }
        guard context.channel.isWritable else {
            flushing = true
            return
        }
        goOn()
    }

    /// After a pause: answers the lines held, and reads the socket again if nothing pauses it anew.
    private func goOn() {
        routeWaiting()
        if heldRead, !paused, let context {
            heldRead = false
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if flushing, context.channel.isWritable {
            flushing = false
            goOn()
        }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        // Back-pressure while an answer is prepared or taken: the client's next lines stay in its socket.
        guard !paused || shutting else {
            heldRead = true
            return
        }
        context.read()
    }

    /// Runs `body` once every reply written so far has been flushed (or has failed). On the event loop.
    func afterWrites(_ body: @escaping () -> Void) {
        guard let lastWrite else {
            body()
            return
        }
        lastWrite.assumeIsolated().whenComplete { _ in body() }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = unwrapInboundIn(data)
        if shutting { return }
        arrived()
        guard handle != nil, !paused else {
            waitingBytes += line.readableBytes
            guard waitingBytes <= maxWaitingBytes else {
                let when =
                    handle == nil ? "before the connection was admitted" : "while an earlier answer was prepared"
                shut(
                    .failure(
                        id: nil, .requestFlood, "more than \(maxWaitingBytes) bytes of requests \(when); closing"))
                return
            }
            waiting.append(line)
            return
        }
        route(line)
    }

    /// Handles the lines that waited, in order, until one must wait for its answer; once none is left,
    /// passes on an end of input that waited for them.
    private func routeWaiting() {
        while !paused, !shutting, handle != nil, !waiting.isEmpty {
            let line = waiting.removeFirst()
            waitingBytes -= line.readableBytes
            route(line)
        }
        if inputEnded, !paused, !shutting, handle != nil, waiting.isEmpty {
            inputEnded = false
            passInputClosed()
        }
    }

    private func route(_ line: ByteBuffer) {
        guard let handle else { return }
        if handle(line, { answer, version in self.reply(answer, version: version) }) == .awaiting {
            awaiting = true
        }
    }

    private func reply(_ answer: WireEncoder.Answer, version: Int) {
        guard !shutting, let context else { return }
        // A client that does not read its replies is dropped, as one that does not read its
        // subscription is: it must not make the server buffer without end.
        guard context.channel.isWritable else {
            shut(.failure(id: nil, .slowClient, "the client does not read its replies; closing"), version: version)
            return
        }
        write(answer, version: version)
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
        // Lines still to answer (before admission, or behind an answer being prepared): the end waits for
        // them, else the connection would close before they are answered.
        guard handle != nil, !paused, waiting.isEmpty else {
            inputEnded = true
            return
        }
        passInputClosed()
    }

    /// Passes the end of input on once the replies are out, whatever became of the writes. The write's
    /// future completes on this event loop, so the context may be used there.
    private func passInputClosed() {
        afterWrites { self.context?.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
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
