import Synchronization

/// Updates from the network side, waiting for the screen thread to take them each frame.
///
/// A mutex-guarded array rather than an `AsyncStream`: the screen thread is a plain thread that must
/// never await, and it takes everything at once per frame.
final class Inbox: Sendable {
    private let updates = Mutex<[FeedUpdate]>([])

    func push(_ update: FeedUpdate) {
        updates.withLock { $0.append(update) }
    }

    /// Everything pushed since the last call, oldest first.
    func take() -> [FeedUpdate] {
        updates.withLock { updates in
            defer { updates.removeAll(keepingCapacity: true) }
            return updates
        }
    }
}
