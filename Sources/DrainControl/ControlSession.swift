import Foundation
import NIOCore
import Synchronization

/// The outgoing side of one connection: a bounded queue of lines that one writer task sends.
///
/// Replies and pushed snapshots share the queue, so the order on the wire is the order they were made.
/// When the queue is full the client is not reading fast enough, and it is dropped rather than allowed
/// to make anyone wait.
final class ControlSession: Sendable {
    private struct State {
        var subscribed = false
        var inboundDone = false
    }

    let lines: AsyncStream<ByteBuffer>
    private let sink: AsyncStream<ByteBuffer>.Continuation
    private let state = Mutex(State())
    let channel: any Channel

    init(channel: any Channel, maxPending: Int) {
        self.channel = channel
        (lines, sink) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .bufferingOldest(maxPending))
    }

    /// Queues a message; returns false when the connection is gone or too far behind (then it is closed).
    @discardableResult
    func send(_ message: ControlMessage) -> Bool {
        guard var data = try? JSONEncoder.wire.encode(message) else { return false }
        data.append(UInt8(ascii: "\n"))
        switch sink.yield(ByteBuffer(bytes: data)) {
        case .enqueued:
            return true
        case .dropped:
            channel.close(promise: nil)
            sink.finish()
            return false
        case .terminated:
            return false
        @unknown default:
            return false
        }
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
    func endSubscription() { sink.finish() }

    /// The client stopped sending: end the connection unless a subscription still streams to it.
    func endInbound() {
        let finish = state.withLock { state -> Bool in
            state.inboundDone = true
            return !state.subscribed
        }
        if finish { sink.finish() }
    }

    func close() { sink.finish() }
}

extension JSONEncoder {
    /// The encoder for wire lines: compact, snake_case, ISO-8601 dates.
    static var wire: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
