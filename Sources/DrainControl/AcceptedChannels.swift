import NIOCore
import Synchronization

/// The server's accepted channels, from the moment NIO accepts each until it closes.
///
/// A connection accepted just as the listener closes can be left in the listener's stream and never
/// served; without this list nobody would close it and its client would wait for ever.
final class AcceptedChannels: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        channels.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { _ in _ = self.channels.withLock { $0.removeValue(forKey: id) } }
    }

    var count: Int { channels.withLock { $0.count } }

    func closeAll() {
        for channel in channels.withLock({ Array($0.values) }) { channel.close(promise: nil) }
    }
}
