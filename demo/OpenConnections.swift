import NIOCore
import NIOHTTP1
import Synchronization

/// The accepted HTTP connections, so a drain can close the idle ones and the busy ones after their response.
final class OpenConnections: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var quiescing = false
    }

    private let state = Mutex(State())

    /// Adds a connection whose HTTP pipeline is in place; one accepted while a drain began is quiesced at once.
    func insert(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let quiescing = state.withLock { state -> Bool in
            state.channels[id] = channel
            return state.quiescing
        }
        channel.closeFuture.whenComplete { _ in self.state.withLock { _ = $0.channels.removeValue(forKey: id) } }
        if quiescing { Self.quiesce(channel) }
    }

    /// Asks every connection to finish: `HTTPServerPipelineHandler` closes an idle one now and a busy one
    /// right after its response, which is exactly the drain's rule for keep-alive connections.
    func quiesceAll() {
        let channels = state.withLock { state -> [any Channel] in
            guard !state.quiescing else { return [] }
            state.quiescing = true
            return Array(state.channels.values)
        }
        for channel in channels { Self.quiesce(channel) }
    }

    /// Closes every connection still open, whatever it is doing.
    func closeAll() {
        let channels = state.withLock { Array($0.channels.values) }
        for channel in channels { channel.close(promise: nil) }
    }

    var count: Int { state.withLock { $0.channels.count } }

    private static func quiesce(_ channel: any Channel) {
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }
}
