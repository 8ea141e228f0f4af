import Synchronization

/// Batches concurrent calls into one journal transaction ("group commit").
///
/// The first caller to find no flush in progress becomes the leader: it writes everything queued so far
/// in one call, hands each waiter its result, and repeats while more arrived meanwhile. No background
/// task is needed, and a lone caller pays one transaction, exactly as without batching.
final class GroupCommit<Input: Sendable, Output: Sendable>: Sendable {
    private struct Pending {
        var inputs: [Input] = []
        var waiters: [CheckedContinuation<Output, any Error>] = []
        var flushing = false
    }

    private let state = Mutex(Pending())
    private let maxBatch: Int
    private let flush: @Sendable ([Input]) async throws -> [Output]

    /// - Parameters:
    ///   - maxBatch: The most inputs written in one call, so one transaction stays short.
    ///   - flush: Writes a batch and returns one output per input, in order.
    init(maxBatch: Int = 1024, flush: @escaping @Sendable ([Input]) async throws -> [Output]) {
        self.maxBatch = maxBatch
        self.flush = flush
    }

    /// Queues `input`, and returns once the batch holding it has been written.
    func commit(_ input: Input) async throws -> Output {
        let lead = state.withLock { state -> Bool in
            if state.flushing { return false }
            state.flushing = true
            return true
        }
        if !lead {
            return try await withCheckedThrowingContinuation { continuation in
                let enqueued = state.withLock { state -> Bool in
                    guard state.flushing else { return false }
                    state.inputs.append(input)
                    state.waiters.append(continuation)
                    return true
                }
                // The leader finished between our two looks: lead a flush of our own instead.
                if !enqueued {
                    Task { await self.leadOne(input, continuation) }
                }
            }
        }
        return try await leadFlushing(first: input)
    }

    private func leadOne(_ input: Input, _ continuation: CheckedContinuation<Output, any Error>) async {
        let lead = state.withLock { state -> Bool in
            if state.flushing {
                state.inputs.append(input)
                state.waiters.append(continuation)
                return false
            }
            state.flushing = true
            return true
        }
        guard lead else { return }
        do {
            continuation.resume(returning: try await leadFlushing(first: input))
        } catch {
            continuation.resume(throwing: error)
        }
    }

    /// Runs `flush` in a task of its own: the leader may be a job task that a forced drain cancels, and
    /// that must not fail the write of every batched caller (GRDB's async writes honour cancellation).
    private func shielded(_ batch: [Input]) async throws -> [Output] {
        let flush = self.flush
        return try await Task { try await flush(batch) }.value
    }

    /// Writes the leader's own input first, then drains what followers queued, then steps down.
    private func leadFlushing(first: Input) async throws -> Output {
        let own: Result<Output, any Error>
        var firstBatch = [first]
        var firstWaiters: [CheckedContinuation<Output, any Error>] = []
        state.withLock { state in
            let take = min(state.inputs.count, maxBatch - 1)
            firstBatch += state.inputs.prefix(take)
            firstWaiters = Array(state.waiters.prefix(take))
            state.inputs.removeFirst(take)
            state.waiters.removeFirst(take)
        }
        do {
            let outputs = try await shielded(firstBatch)
            own = .success(outputs[0])
            for (waiter, output) in zip(firstWaiters, outputs.dropFirst()) { waiter.resume(returning: output) }
        } catch {
            own = .failure(error)
            for waiter in firstWaiters { waiter.resume(throwing: error) }
        }
        while true {
            let (batch, waiters) = state.withLock { state -> ([Input], [CheckedContinuation<Output, any Error>]) in
                guard !state.inputs.isEmpty else {
                    state.flushing = false
                    return ([], [])
                }
                let take = min(state.inputs.count, maxBatch)
                let batch = Array(state.inputs.prefix(take))
                let waiters = Array(state.waiters.prefix(take))
                state.inputs.removeFirst(take)
                state.waiters.removeFirst(take)
                return (batch, waiters)
            }
            if batch.isEmpty { break }
            do {
                let outputs = try await shielded(batch)
                for (waiter, output) in zip(waiters, outputs) { waiter.resume(returning: output) }
            } catch {
                for waiter in waiters { waiter.resume(throwing: error) }
            }
        }
        return try own.get()
    }
}
