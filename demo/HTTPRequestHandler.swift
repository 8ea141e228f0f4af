import NIOCore
import NIOHTTP1

/// Hands each complete HTTP request of one connection to the ``HTTPResponder``.
///
/// `HTTPServerPipelineHandler` (in front of this one) holds back a pipelined request until the previous
/// response ended, so a connection never has two requests in flight.
final class HTTPRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart

    private let responder: HTTPResponder
    private var head: HTTPRequestHead?

    init(responder: HTTPResponder) {
        self.responder = responder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            // Request bodies are not used by any route.
            break
        case .end:
            guard let head else { return }
            self.head = nil
            let channel = context.channel
            let responder = responder
            // Off the event loop: the answer may wait seconds for its tracked operation.
            Task { await responder.respond(to: head, on: channel) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset or a broken request ends this one connection; the server carries on.
        context.close(promise: nil)
    }
}
