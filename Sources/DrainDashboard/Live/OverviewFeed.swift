import DrainClient
import DrainProtocol
import Synchronization

/// The overview's subscriptions: one per process row, each read by its own ``Subscription`` thread and
/// pushing into the screen's ``Inbox`` under the row's session number.
final class OverviewFeed: Sendable {
    private let inbox: Inbox
    private let interval: Duration
    private let subscriptions = Mutex<[Int: Subscription]>([:])

    /// - Parameter interval: How often each process pushes a snapshot: slower than the single screen's,
    ///   since a row shows no job ages, only the countdown, which moves between snapshots by itself.
    init(inbox: Inbox, interval: Duration) {
        self.inbox = inbox
        self.interval = interval
    }

    /// Subscribes to `entry` for the row with `session`.
    func follow(_ entry: ProcessEntry, session: Int) {
        let subscription = Subscription(entry, session: session, interval: interval, inbox: inbox) {}
        let replaced = subscriptions.withLock { $0.updateValue(subscription, forKey: session) }
        replaced?.cancel()
    }

    /// Closes every subscription.
    func cancelAll() {
        // Collected under the lock, cancelled after it: cancelling shuts sockets down.
        let all = subscriptions.withLock { subscriptions in
            defer { subscriptions.removeAll() }
            return Array(subscriptions.values)
        }
        for subscription in all { subscription.cancel() }
    }
}
