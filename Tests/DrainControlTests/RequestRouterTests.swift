import DrainProtocol
import NIOCore
import NIOEmbedded
import Testing

@testable import DrainControl

/// The router answers on the event loop that read a line, but only once the server admitted the
/// connection; lines that came earlier wait, in order, and end of input waits for the replies.
@Suite("request router")
struct RequestRouterTests {
    static func line(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    static func written(_ channel: EmbeddedChannel) throws -> [String] {
        var lines: [String] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { lines.append(String(buffer: buffer)) }
        return lines
    }

    @Test("lines before admission wait and are answered in order after it, then each line at once")
    func waitsForAdmission() throws {
        let router = RequestRouter(maxLineBytes: 256, encoder: WireEncoder(), linger: .seconds(1))
        let channel = EmbeddedChannel(handler: router)
        try channel.writeInbound(Self.line("a"))
        try channel.writeInbound(Self.line("b"))
        #expect(try Self.written(channel).isEmpty)
        router.activate(encoder: WireEncoder()) { line, reply in
            reply(
                .message(
                    .subscribed(id: Int(line.readableBytes), intervalMs: Int(line.getInteger(at: 0, as: UInt8.self)!))),
                1)
            return .answered
        }
        #expect(try Self.written(channel).map { $0.contains("\"interval_ms\":\(UInt8(ascii: "a"))") } == [true, false])
        try channel.writeInbound(Self.line("c"))
        let now = try Self.written(channel)
        #expect(now.count == 1 && now[0].contains("\"interval_ms\":\(UInt8(ascii: "c"))"))
        #expect(try channel.finish().isClean)
    }

    @Test("a connection that sends too much before admission is told request_flood, then closed")
    func tooMuchWaiting() throws {
        // Four times the longest line may wait: 4 bytes here.
        let channel = EmbeddedChannel(
            handler: RequestRouter(maxLineBytes: 1, encoder: WireEncoder(), linger: .seconds(1)))
        try channel.connect(to: try SocketAddress(unixDomainSocketPath: "/tmp/router-test.sock")).wait()
        try channel.writeInbound(Self.line("abc"))
        #expect(channel.isActive)
        try channel.writeInbound(Self.line("defg"))
        let lines = try Self.written(channel)
        #expect(lines.count == 1 && lines[0].contains("\"code\":\"request_flood\""), "\(lines)")
        // What the client sends meanwhile is discarded; the linger ends the connection.
        try channel.writeInbound(Self.line("h"))
        #expect(try Self.written(channel).isEmpty)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }

    @Test("end of input after a request reaches the connection, after the request's reply")
    func inputClosedAfterReplies() throws {
        let router = RequestRouter(maxLineBytes: 256, encoder: WireEncoder(), linger: .seconds(1))
        let events = InputClosedEvents()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([router, events])
        router.activate(encoder: WireEncoder()) { _, reply in
            reply(.message(.subscribed(id: 1, intervalMs: 100)), 1)
            return .answered
        }
        try channel.writeInbound(Self.line("x"))
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        channel.embeddedEventLoop.run()
        #expect(events.inputClosed)
        #expect(try Self.written(channel).count == 1)
    }

    @Test("a line whose answer comes later holds the lines after it and the end of input until it is given")
    func awaitingHoldsLaterLines() throws {
        let router = RequestRouter(maxLineBytes: 256, encoder: WireEncoder(), linger: .seconds(1))
        let events = InputClosedEvents()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([router, events])
        // "later" is answered later (as `history` is); every other line at once, with its first byte as id.
        router.activate(encoder: WireEncoder()) { line, reply in
            if String(buffer: line) == "later" { return .awaiting }
            reply(.message(.subscribed(id: Int(line.getInteger(at: 0, as: UInt8.self)!), intervalMs: 100)), 1)
            return .answered
        }
        try channel.writeInbound(Self.line("a"))
        try channel.writeInbound(Self.line("later"))
        try channel.writeInbound(Self.line("b"))
        try channel.writeInbound(Self.line("later"))
        try channel.writeInbound(Self.line("c"))
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        channel.embeddedEventLoop.run()
        #expect(try Self.written(channel).count == 1, "only the line before the first awaited one")
        #expect(!events.inputClosed)

        router.resume(with: .message(.subscribed(id: 1000, intervalMs: 100)), version: 1)
        channel.embeddedEventLoop.run()
        let ids = { (lines: [String]) in lines.compactMap { $0.firstMatch(of: /"id":(\d+)/).map { Int($0.1)! } } }
        #expect(ids(try Self.written(channel)) == [1000, Int(UInt8(ascii: "b"))], "up to the next awaited line")
        #expect(!events.inputClosed)

        router.resume(with: .message(.subscribed(id: 2000, intervalMs: 100)), version: 1)
        channel.embeddedEventLoop.run()
        #expect(ids(try Self.written(channel)) == [2000, Int(UInt8(ascii: "c"))])
        #expect(events.inputClosed, "the end of input passes once every line is answered")
    }
}

/// Records whether the end of input got past the router to the handler after it.
private final class InputClosedEvents: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    var inputClosed = false
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { inputClosed = true }
    }
}
