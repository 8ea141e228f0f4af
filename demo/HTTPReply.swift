import Drain
import NIOCore
import NIOHTTP1

/// Writes one response on a connection, from any task.
struct HTTPReply: Sendable {
    let channel: any Channel
    let pool: WorkerPool
    let version: HTTPVersion
    let keepAlive: Bool

    /// Sends a complete response and returns once it is handed to the kernel.
    func send(_ status: HTTPResponseStatus, _ body: String) async {
        // Once the pool drains, every answer closes its connection so clients reconnect elsewhere; a
        // refusal or a cancellation closes too, the client should not reuse a connection to a dying process.
        let close = !keepAlive || status == .serviceUnavailable || pool.phase >= .draining
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(body.utf8.count)")
        headers.add(name: "Connection", value: close ? "close" : "keep-alive")
        let head = HTTPResponseHead(version: version, status: status, headers: headers)
        channel.write(HTTPServerResponsePart.head(head), promise: nil)
        channel.write(HTTPServerResponsePart.body(.byteBuffer(channel.allocator.buffer(string: body))), promise: nil)
        // A client that left is not an error of the server: nothing to do but let the connection go.
        try? await channel.writeAndFlush(HTTPServerResponsePart.end(nil)).get()
        if close { try? await channel.close().get() }
    }
}
