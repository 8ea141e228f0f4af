extension WorkerPool {
    /// Whether the pool's journal keeps a drain history (``JobJournal/keepsDrainHistory``).
    package var keepsDrainHistory: Bool { journal.keepsDrainHistory }

    /// The newest drains of the journal's history, newest first; on a shared journal, the fleet's.
    ///
    /// A read of the journal, never of the pool's state: it takes no lock of the pool's, so a control
    /// client asking for the history cannot hold up a drain.
    /// - Throws: ``DrainError`` ``DrainError/Code/journal`` when the history cannot be read.
    package func drainHistory(limit: Int) async throws -> [DrainHistoryEntry] {
        try await journal.drainHistory(limit: limit)
    }

    /// One drain of the journal's history; nil when it is not (or no longer) kept.
    /// - Throws: ``DrainError`` ``DrainError/Code/journal`` when the history cannot be read.
    package func drain(id: Int64) async throws -> DrainHistoryEntry? {
        try await journal.drain(id: id)
    }
}
