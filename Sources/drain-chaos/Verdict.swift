/// What a record proves: counts of what happened to the jobs, and every broken promise.
struct Verdict: Sendable, Hashable, Encodable {
    /// Processes in the record.
    var processes = 0
    /// Jobs with an `accepted` line: `submit` returned, so they must never vanish.
    var accepted = 0
    /// Jobs that ran without an `accepted` line: committed, but the process was killed (or the submit
    /// cancelled) before it could acknowledge them. Not a loss; they must still finish.
    var unacknowledged = 0
    /// `start` lines: every run of every job.
    var runs = 0
    /// Jobs whose last run ended `done`.
    var completed = 0
    /// Jobs whose last run ended `failed` (the handler's own error; not retried).
    var failed = 0
    /// Runs left unfinished by a forced drain (cancelled and put back).
    var requeued = 0
    /// Runs left behind by a killed process (recovered by the next start), including runs that finished
    /// but whose outcome died with the process.
    var recovered = 0
    /// Jobs that started more than once.
    var duplicated = 0
    /// Of those, the ones whose every earlier run was forced or killed.
    var duplicatedAllowed = 0
    /// Of those, the ones with an earlier run that was neither.
    var duplicatedUnexplained = 0
    /// Jobs that never finished although the final drain emptied the queue.
    var lost = 0
    /// Every broken promise, in job order.
    var findings: [Finding] = []

    /// True when the record shows nothing lost, no unexplained duplicate and no other finding.
    var passed: Bool { findings.isEmpty }

    private enum CodingKeys: String, CodingKey {
        case passed, processes, accepted, unacknowledged, runs, completed, failed, requeued, recovered, duplicated
        case lost, findings
        case duplicatedAllowed = "duplicated_allowed"
        case duplicatedUnexplained = "duplicated_unexplained"
    }

    /// The counts, `passed` and the findings, so a reader of the JSON needs no rule of its own.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(passed, forKey: .passed)
        try container.encode(processes, forKey: .processes)
        try container.encode(accepted, forKey: .accepted)
        try container.encode(unacknowledged, forKey: .unacknowledged)
        try container.encode(runs, forKey: .runs)
        try container.encode(completed, forKey: .completed)
        try container.encode(failed, forKey: .failed)
        try container.encode(requeued, forKey: .requeued)
        try container.encode(recovered, forKey: .recovered)
        try container.encode(duplicated, forKey: .duplicated)
        try container.encode(duplicatedAllowed, forKey: .duplicatedAllowed)
        try container.encode(duplicatedUnexplained, forKey: .duplicatedUnexplained)
        try container.encode(lost, forKey: .lost)
        try container.encode(findings, forKey: .findings)
    }

    /// Adds another record's counts to these (findings are kept by the caller, with their iteration).
    mutating func addCounts(of other: Verdict) {
        processes += other.processes
        accepted += other.accepted
        unacknowledged += other.unacknowledged
        runs += other.runs
        completed += other.completed
        failed += other.failed
        requeued += other.requeued
        recovered += other.recovered
        duplicated += other.duplicated
        duplicatedAllowed += other.duplicatedAllowed
        duplicatedUnexplained += other.duplicatedUnexplained
        lost += other.lost
    }
}
