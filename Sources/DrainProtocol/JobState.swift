/// Where a job is in the journal: the `state` column of the `jobs` table, in SQLite and in PostgreSQL.
///
/// `queued → running → done | failed`. A run cut short by a forced drain, a cancellation or a dead
/// worker goes back to `queued` with its attempt counted, so `running` is never final. The raw values are
/// the words the journals store; SQL is written with them (`state = '\(JobState.queued)'`), never with
/// literals of its own.
///
/// In the wire contract because the fleet view (`DrainFleet`) reads the same tables as the journals
/// write, without linking either journal.
public enum JobState: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Accepted and durable, not started.
    case queued
    /// Claimed by a worker that is running it.
    case running
    /// Its handler returned.
    case done
    /// Its handler threw; the error is kept with the row.
    case failed

    /// Whether the job will not run again: `done` or `failed`.
    public var isFinished: Bool { self == .done || self == .failed }

    /// The word the journals store, for SQL text.
    public var description: String { rawValue }

    /// `'queued', 'running', 'done', 'failed'`: the schema's `CHECK (state IN (…))` list.
    public static var sqlList: String { allCases.map { "'\($0)'" }.joined(separator: ", ") }
}
