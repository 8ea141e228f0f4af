import Drain

/// The record of one iteration, parsed: what the job handler, the producer and the harness wrote.
///
/// The demo's handler appends `start <id> <attempt>` and `done <id>` / `failed <id>`; its producer appends
/// `accepted <id>` once `submit` returned (the job is durable). The harness brackets every process it
/// starts with `process <n> <role>` and `exit <n> <outcome>`, so each job line belongs to one process
/// and the verifier knows how that process ended. Nothing here comes from the journal.
struct ChaosRecord: Sendable, Hashable {
    /// Why a process was started.
    enum Role: String, Sendable, Hashable {
        /// Under load, until the chaos action.
        case load
        /// Restarted on the same journal with no new work, drained to the end.
        case final
    }

    /// How a process ended, from its exit status.
    enum Outcome: String, Sendable, Hashable, CaseIterable {
        /// Exit 0: every job in flight finished.
        case clean
        /// Exit 3: the drain was forced; unfinished jobs were requeued.
        case forced
        /// SIGKILL: nothing was put back; the next start recovers what was running.
        case killed
        /// Any other exit status: the process died without a drain.
        case crashed

        /// Whether a job running in such a process may be left unfinished and run again later.
        var mayInterruptJobs: Bool { self != .clean }
    }

    /// One line of the record.
    enum Line: Sendable, Hashable {
        case process(Int, Role)
        case exit(Int, Outcome)
        case accepted(JobID)
        case start(JobID, attempt: Int)
        case done(JobID)
        case failed(JobID)
    }

    var lines: [Line]

    init(lines: [Line]) { self.lines = lines }

    /// Parses a record file's text.
    /// - Throws: ``ChaosError`` `malformedRecord` naming the first line that does not parse.
    init(parsing text: String) throws {
        var lines: [Line] = []
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if raw.isEmpty { continue }
            guard let line = Self.parse(raw) else {
                throw ChaosError(.malformedRecord, "record line \(offset + 1) does not parse: '\(raw.prefix(80))'")
            }
            lines.append(line)
        }
        self.lines = lines
    }

    private static func parse(_ raw: Substring) -> Line? {
        let words = raw.split(separator: " ")
        guard let verb = words.first else { return nil }
        func number(_ index: Int) -> Int64? {
            guard index < words.count, let value = Int64(words[index]), value >= 0 else { return nil }
            return value
        }
        switch (verb, words.count) {
        case ("process", 3):
            guard let n = number(1), let role = Role(rawValue: String(words[2])) else { return nil }
            return .process(Int(n), role)
        case ("exit", 3):
            guard let n = number(1), let outcome = Outcome(rawValue: String(words[2])) else { return nil }
            return .exit(Int(n), outcome)
        case ("accepted", 2): return number(1).map { .accepted($0) }
        case ("start", 3):
            guard let id = number(1), let attempt = number(2) else { return nil }
            return .start(id, attempt: Int(attempt))
        case ("done", 2): return number(1).map { .done($0) }
        case ("failed", 2): return number(1).map { .failed($0) }
        default: return nil
        }
    }
}
