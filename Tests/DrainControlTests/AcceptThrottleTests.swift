import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import DrainControl

/// The listener's reads while the server is full: one per pause, and at full speed again once a slot frees.
/// On an embedded channel, whose clock only the test moves.
@Suite("accept throttle")
struct AcceptThrottleTests {
    /// Counts the reads that reach the socket: it sits nearer the socket than the throttle.
    final class SocketReads: ChannelOutboundHandler {
        typealias OutboundIn = Never
        var count = 0
        func read(context: ChannelHandlerContext) {
            count += 1
            context.read()
        }
    }

    /// An embedded channel with the read counter nearest the socket, then `throttle`.
    static func listener(
        _ throttle: AcceptThrottle, active: Bool = false
    ) throws -> (EmbeddedChannel, SocketReads) {
        let reads = SocketReads()
        let channel = EmbeddedChannel()
        if active { try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait() }
        try channel.pipeline.syncOperations.addHandler(reads)
        try channel.pipeline.syncOperations.addHandler(throttle)
        return (channel, reads)
    }

    @Test("while full, the listener reads once per pause, and refused clients are still read; then at once")
    func throttled() throws {
        let full = Mutex(false)
        let (channel, reads) = try Self.listener(AcceptThrottle { full.withLock { $0 } })
        let loop = channel.embeddedEventLoop

        channel.read()
        #expect(reads.count == 1, "not full: the read goes through at once")

        full.withLock { $0 = true }
        channel.read()
        channel.read()
        #expect(reads.count == 1, "full: the read waits")
        loop.advanceTime(by: AcceptThrottle.pause - .milliseconds(1))
        #expect(reads.count == 1)
        loop.advanceTime(by: .milliseconds(1))
        #expect(reads.count == 2, "one read per pause, however many were asked for")
        loop.advanceTime(by: AcceptThrottle.pause * 3)
        #expect(reads.count == 2, "no read asked for, none made")

        channel.read()
        full.withLock { $0 = false }
        loop.advanceTime(by: AcceptThrottle.pause)
        #expect(reads.count == 3, "a read asked for while full is made even if the server has room by then")
        channel.read()
        #expect(reads.count == 4, "room again: at once")
        _ = try channel.finish()
    }

    @Test("a read waiting when the throttle is taken out is made at once, so the listener goes on accepting")
    func removedWhileWaiting() throws {
        let throttle = AcceptThrottle { true }
        let (channel, reads) = try Self.listener(throttle, active: true)
        channel.read()
        #expect(reads.count == 0)
        try channel.pipeline.syncOperations.removeHandler(throttle).wait()
        #expect(reads.count == 1)
        channel.embeddedEventLoop.advanceTime(by: AcceptThrottle.pause * 2)
        #expect(reads.count == 1, "and not a second time when the pause would have ended")
        _ = try channel.finish()
    }

    @Test("a read waiting when the listener closes is dropped, not made on a closed channel")
    func closedWhileWaiting() throws {
        let (channel, reads) = try Self.listener(AcceptThrottle { true })
        channel.read()
        _ = try channel.finish()
        channel.embeddedEventLoop.advanceTime(by: AcceptThrottle.pause * 2)
        #expect(reads.count == 0)
    }
}
