import Foundation
import NIOCore
import NIOPosix

@testable import DrainControl

/// A client that writes exact bytes and reads raw lines, for abusing the protocol on purpose.
///
/// Non-blocking (NIO), so hundreds can run in one test process without starving the server's tasks.
final class LineClient {
    typealias Channel = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let channel: any NIOCore.Channel

    private init(
        _ channel: Channel, inbound: NIOAsyncChannelInboundStream<ByteBuffer>,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) {
        self.channel = channel.channel
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    /// Connects, runs `body`, closes. With `reading` false the socket is never read, like a stalled client.
    static func with<T>(path: String, reading: Bool = true, _ body: (LineClient) async throws -> T) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: reading)
            // Like a plain socket: the server's end of output (after the line that says why it closes) does
            // not close this side, which may still be sending.
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(unixDomainSocketPath: path) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LineFrameDecoder(maxLength: 16 * 1024 * 1024))
                    )
                    return try Channel(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await body(LineClient(channel, inbound: inbound, outbound: outbound))
        }
    }

    func send(_ bytes: [UInt8]) async throws { try await outbound.write(ByteBuffer(bytes: bytes)) }

    func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    /// Ends this side's output (`shutdown(SHUT_WR)`), as `echo … | socat` does once its input ends; the
    /// replies can still be read.
    func finishSending() async throws { try await channel.close(mode: .output) }

    /// The next line as a JSON object (nil on a clean close); a line that is not a JSON object fails.
    func next() async throws -> [String: Any]? {
        guard let line = try await inbound.next() else { return nil }
        guard let object = try JSONSerialization.jsonObject(with: Data(line.readableBytesView)) as? [String: Any] else {
            throw NotAnObject(line: String(buffer: line))
        }
        return object
    }

    /// The next reply (`result` or `error`), skipping pushed snapshots and events.
    func reply() async throws -> [String: Any]? {
        while let line = try await next() {
            if let type = line["type"] as? String, type == "result" || type == "error" { return line }
        }
        return nil
    }

    struct NotAnObject: Error { var line: String }
}

extension Dictionary where Key == String, Value == Any {
    /// The `error.code` of an error reply.
    var errorCode: String? { (self["error"] as? [String: Any])?["code"] as? String }
    var errorMessage: String? { (self["error"] as? [String: Any])?["message"] as? String }
}
