import Synchronization

/// Fans events out to subscribers without ever blocking the pool.
///
/// Each subscriber gets a bounded buffer that keeps the newest events: a stalled reader loses old events
/// (it can see the gap in ``DrainEvent/seq``) and never slows the workers or the drain.
final class EventHub: Sendable {
    private struct State {
        var subscribers: [Int: AsyncStream<DrainEvent>.Continuation] = [:]
        var nextID = 0
        var finished = false
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

    func publish(_ event: DrainEvent) {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for subscriber in subscribers { subscriber.yield(event) }
    }

    /// Ends every stream after the last event; later subscribers get an empty stream.
    func finish() {
        let subscribers = state.withLock { state -> [AsyncStream<DrainEvent>.Continuation] in
            state.finished = true
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }
}
