import Drain
import DrainProtocol
import NIOCore
import Synchronization

/// Pushes snapshots and events to every subscriber of a ``ControlServer``, taking and encoding each once.
///
/// Subscribers are grouped by interval. Each group has one ticker: per tick it reads the pool's latest
/// published snapshot, whose line the ``WireEncoder`` makes ONCE per version (and `status` reuses its
/// body), then hands the same bytes to every subscriber of that interval, in one
/// task per event loop that writes them to that loop's channels (``deliver(_:_:)``). Events come from
/// one subscription to the pool, also encoded once and delivered the same way. So a thousand subscribers
/// cost the pool one snapshot per tick, not a thousand, and the server one hop per event loop, not a
/// wake-up per subscriber. A stalled subscriber only fills its own channel: it is dropped (see
/// ``ControlOutbox``) and never holds up the others.
final class SubscriberFanout: Sendable {
    /// A subscriber and the protocol version it subscribed in.
    private struct Member {
        var outbox: ControlOutbox
        var version: Int
    }

    private struct Group {
        var members: [ObjectIdentifier: Member] = [:]
        /// Whether a ticker runs for this group (set under the lock, before its task is created after it).
        var ticking = false
        var ticker: Task<Void, Never>?
    }

    private struct State {
        var groups: [Int: Group] = [:]
        var stopped = false
    }

    private let pool: WorkerPool
    private let encoder: WireEncoder
    private let events: AsyncStream<DrainEvent>
    private let state = Mutex(State())

    /// Subscribes to the pool's events at once, so none is missed between now and ``run()``.
    init(pool: WorkerPool, encoder: WireEncoder) {
        self.pool = pool
        self.encoder = encoder
        self.events = pool.events()
    }

    /// How many subscribers there are now.
    var count: Int { state.withLock { $0.groups.values.reduce(0) { $0 + $1.members.count } } }

    /// Adds a subscriber and writes its first snapshot; false when the pool has already stopped (the
    /// snapshot is then the last word). Call it on the connection's event loop, where its requests are
    /// answered.
    ///
    /// Decided under the lock, done after it: the lock only records the member (and starts its group's
    /// ticker); the pool's snapshot is taken and written after it. The order still holds every event
    /// inside that snapshot or after it: the member is recorded before the snapshot is taken, so an
    /// event the snapshot misses is one ``run()`` hands out after the member was recorded, and those
    /// reach the connection through a task on this event loop, which runs only after this one. Were an
    /// event written first, a client that skips what it has seen (by `seq`) would skip the whole snapshot.
    ///
    /// The first snapshot carries the recent events in every version: it is the subscriber's history.
    func add(_ outbox: ControlOutbox, intervalMs: Int, version: Int) -> Bool {
        outbox.channel.eventLoop.preconditionInEventLoop()
        let (added, startTicker) = state.withLock { state -> (Bool, Bool) in
            guard !state.stopped else { return (false, false) }
            state.groups[intervalMs, default: Group()].members[ObjectIdentifier(outbox)] = Member(
                outbox: outbox, version: version)
            guard state.groups[intervalMs]?.ticking == false else { return (true, false) }
            state.groups[intervalMs]?.ticking = true
            return (true, true)
        }
        if startTicker {
            let ticker = Task { await self.tick(every: intervalMs) }
            let stale = state.withLock { state -> Bool in
                guard !state.stopped, state.groups[intervalMs]?.ticker == nil, state.groups[intervalMs]?.ticking == true
                else { return true }
                state.groups[intervalMs]?.ticker = ticker
                return false
            }
            if stale { ticker.cancel() }
        }
        // A snapshot taken now, and published: the first snapshot is the history of a subscriber that hears
        // only later events pushed, so its events must be as they are now, and its counts from the same
        // moment. (The last tick's counts with today's events was a snapshot that never existed: one that
        // said `started` with the journal's queue not yet counted, and drain-chaos took its queue for
        // empty.) A tick read before this one is skipped for this subscriber (`claimSnapshot`).
        let fresh = pool.publishSnapshot()
        if outbox.claimSnapshot(fresh.seq),
            let first = encoder.pushedLine(fresh, version: version, form: .first(version: version))
        {
            outbox.send(line: first)
        }
        return added
    }

    /// Removes a subscriber whose connection ended.
    func remove(_ outbox: ControlOutbox) {
        state.withLock { state in
            for interval in state.groups.keys {
                state.groups[interval]?.members.removeValue(forKey: ObjectIdentifier(outbox))
            }
        }
    }

    /// Forwards the pool's events until it stops; then sends each subscriber the last snapshot and ends
    /// its subscription. Returns early when cancelled.
    func run() async {
        for await event in events {
            deliver(members()) { self.encoder.line(.event(event), version: $0) }
        }
        let (members, tickers) = state.withLock { state -> ([Member], [Task<Void, Never>]) in
            state.stopped = true
            defer { state.groups = [:] }
            return (state.groups.values.flatMap { $0.members.values }, state.groups.values.compactMap(\.ticker))
        }
        for ticker in tickers { ticker.cancel() }
        guard !Task.isCancelled else { return }
        let last = pool.latestSnapshot()
        deliver(members, snapshot: last.seq) { self.encoder.pushedLine(last, version: $0, form: Self.form($0)) }
        // Behind the last snapshot: each loop runs its tasks in order.
        for member in members { member.outbox.endSubscription() }
    }

    /// Hands a line (encoded once per protocol version) to every member, in one task per event loop that
    /// writes it to each of that loop's channels: a thousand subscribers on two loops cost two hops, not a
    /// thousand wake-ups. A member too far behind is dropped and removed.
    ///
    /// A snapshot's `seq` (`snapshot`) is claimed on the loop, as the line is written: a subscriber that
    /// already has a newer one skips it.
    private func deliver(_ members: [Member], snapshot seq: UInt64? = nil, _ encode: (Int) -> ByteBuffer?) {
        var lines: [Int: ByteBuffer] = [:]
        var batches: [ObjectIdentifier: (loop: any EventLoop, writes: [(ControlOutbox, ByteBuffer)])] = [:]
        for member in members {
            if lines[member.version] == nil { lines[member.version] = encode(member.version) }
            guard let line = lines[member.version] else { continue }
            let loop = member.outbox.channel.eventLoop
            batches[ObjectIdentifier(loop), default: (loop, [])].writes.append((member.outbox, line))
        }
        for batch in batches.values {
            let writes = batch.writes
            batch.loop.execute {
                for (outbox, line) in writes {
                    if let seq, !outbox.claimSnapshot(seq) { continue }
                    if !outbox.write(line) { self.remove(outbox) }
                }
            }
        }
    }

    /// Version 2 pushes each event once, on its own line, so its snapshots leave the recent events out;
    /// version 3 also writes the listed jobs as rows.
    private static func form(_ version: Int) -> WireEncoder.SnapshotForm { .of(version: version, pushed: true) }

    private func members() -> [Member] {
        state.withLock { state in state.groups.values.flatMap { $0.members.values } }
    }

    /// One ticker per interval; it ends when its group is empty, deciding that under the lock so that a
    /// subscriber added at the same moment starts a new ticker instead of joining a dead one.
    private func tick(every intervalMs: Int) async {
        let clock = ContinuousClock()
        let interval = Duration.milliseconds(intervalMs)
        var next = clock.now + interval
        while !Task.isCancelled {
            try? await Task.sleep(until: next, clock: clock)
            // After a stall (a suspended process), skip the missed ticks instead of bursting them.
            next = max(next + interval, clock.now)
            let members = state.withLock { state -> [Member]? in
                guard let group = state.groups[intervalMs], !group.members.isEmpty else {
                    state.groups[intervalMs] = nil
                    return nil
                }
                return Array(group.members.values)
            }
            guard let members, !Task.isCancelled else { return }
            // One snapshot per tick, encoded once per version its subscribers speak.
            let snapshot = pool.latestSnapshot()
            deliver(members, snapshot: snapshot.seq) {
                self.encoder.pushedLine(snapshot, version: $0, form: Self.form($0))
            }
        }
    }
}
