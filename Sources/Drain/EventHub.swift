import Synchronization

/// Fans events out to subscribers in `seq` order, without ever blocking the pool.
///
/// Each subscriber gets a bounded buffer that keeps the newest events: a stalled reader loses old events
/// (it can see the gap in ``DrainEvent/seq``) and never slows the workers or the drain.
///
/// Several threads publish at once (each after its own transition), so events may arrive here out of
/// order. The lock only decides: it parks events until their predecessors are in, and names one publisher
/// at a time, which hands the next run of consecutive events to the subscribers after the lock.
final class EventHub: Sendable {
    private struct State {
        var subscribers: [Int: AsyncStream<DrainEvent>.Continuation] = [:]
        var nextID = 0
        /// Events waiting for an earlier `seq` to arrive, or for the publisher.
        var pending: [Int: DrainEvent] = [:]
        var nextSeq = 1
        /// One thread is handing events over; others leave theirs in ``pending`` for it.
        var publishing = false
        /// The `seq` of the last event, once known: the streams end after it.
        var lastSeq: Int?
        var finished = false
    }

    private struct Batch {
        var events: [DrainEvent]
        var subscribers: [AsyncStream<DrainEvent>.Continuation]
        var finish: Bool
    }

    private let state = Mutex(State())
    private let bufferSize: Int

    init(bufferSize: Int) { self.bufferSize = bufferSize }

    func subscribe() -> AsyncStream<DrainEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: DrainEvent.self, bufferingPolicy: .bufferingNewest(bufferSize)
        )
        let id = state.withLock { state -> Int? in
            if state.finished { return nil }
            defer { state.nextID += 1 }
            state.subscribers[state.nextID] = continuation
            return state.nextID
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Hands events to every subscriber once all earlier ones have been handed over.
    /// - Parameters:
    ///   - events: Consecutive or not; every `seq` from 1 on must be published exactly once, by someone.
    ///   - finish: The last of `events` is the last event: end every stream after it.
    func publish(_ events: [DrainEvent], finish: Bool = false) {
        var batch = state.withLock { state -> Batch? in
            for event in events { state.pending[event.seq] = event }
            if finish, let last = events.last { state.lastSeq = last.seq }
            return Self.take(&state)
        }
        while let current = batch {
            for event in current.events {
                for subscriber in current.subscribers { subscriber.yield(event) }
            }
            if current.finish {
                for subscriber in current.subscribers { subscriber.finish() }
            }
            batch = state.withLock { state -> Batch? in
                state.publishing = false
                return Self.take(&state)
            }
        }
    }

    /// The next run of consecutive events, when no one else is publishing.
    private static func take(_ state: inout State) -> Batch? {
        guard !state.publishing, !state.finished else { return nil }
        var events: [DrainEvent] = []
        while let event = state.pending.removeValue(forKey: state.nextSeq) {
            events.append(event)
            state.nextSeq += 1
        }
        let finish = state.lastSeq.map { state.nextSeq > $0 } ?? false
        guard !events.isEmpty || finish else { return nil }
        state.publishing = true
        let subscribers = Array(state.subscribers.values)
        if finish {
            state.finished = true
            state.subscribers = [:]
        }
        return Batch(events: events, subscribers: subscribers, finish: finish)
    }
}
