import Drain

/// Checks a ``ChaosRecord`` against the promises of the product. A pure function: no files, no clock.
///
/// The promises, from the handler's point of view:
/// - every accepted job finished (`done` or `failed`) once the final drain emptied the queue — none vanished;
/// - a job ran again only if each earlier run was forced (left unfinished by a process that exited
///   forced) or killed (its process died by SIGKILL, so even a finished run's outcome may not be durable);
/// - a clean drain leaves no run unfinished.
enum RecordVerifier {
    private struct Run {
        var process: Int
        var attempt: Int
        var end: End?
    }

    private enum End: String {
        case done
        case failed
    }

    /// Verifies one record.
    /// - Returns: The counts and every ``Finding``; ``Verdict/passed`` is true when there are none.
    static func verify(_ record: ChaosRecord) -> Verdict {
        var verdict = Verdict()
        var roles: [Int: ChaosRecord.Role] = [:]
        var outcomes: [Int: ChaosRecord.Outcome] = [:]
        var open: Int?
        var acceptedIDs: Set<JobID> = []
        var runs: [JobID: [Run]] = [:]
        var lastProcess: Int?

        for line in record.lines {
            switch line {
            case .process(let index, let role):
                if let open {
                    verdict.findings.append(
                        Finding(kind: .misplacedLine, detail: "process \(index) began before process \(open) exited")
                    )
                }
                open = index
                lastProcess = index
                roles[index] = role
            case .exit(let index, let outcome):
                if open != index {
                    verdict.findings.append(
                        Finding(kind: .misplacedLine, detail: "exit of process \(index), which is not the one running")
                    )
                }
                outcomes[index] = outcome
                open = nil
            case .accepted(let id):
                guard open != nil else {
                    verdict.findings.append(misplaced(id, "accepted"))
                    continue
                }
                if !acceptedIDs.insert(id).inserted {
                    verdict.findings.append(
                        Finding(kind: .acceptedTwice, job: id, detail: "job \(id) was accepted twice"))
                }
            case .start(let id, let attempt):
                guard let process = open else {
                    verdict.findings.append(misplaced(id, "start"))
                    continue
                }
                runs[id, default: []].append(Run(process: process, attempt: attempt))
            case .done(let id), .failed(let id):
                guard let process = open else {
                    verdict.findings.append(misplaced(id, "end"))
                    continue
                }
                let end: End = if case .done = line { .done } else { .failed }
                guard let last = runs[id]?.indices.last, runs[id]![last].process == process, runs[id]![last].end == nil
                else {
                    verdict.findings.append(
                        Finding(
                            kind: .endWithoutStart, job: id,
                            detail: "job \(id) ended in process \(process) without a run there")
                    )
                    continue
                }
                runs[id]![last].end = end
            }
        }

        verdict.processes = roles.count
        let complete = lastProcess.map { roles[$0] == .final && outcomes[$0] == .clean } ?? false
        if !complete {
            verdict.findings.append(
                Finding(kind: .incomplete, detail: "the record does not end with a final process that drained cleanly")
            )
        }
        verdict.accepted = acceptedIDs.count
        for id in acceptedIDs.union(runs.keys).sorted() {
            let jobRuns = runs[id] ?? []
            if !acceptedIDs.contains(id) { verdict.unacknowledged += 1 }
            verdict.runs += jobRuns.count
            judgeRuns(of: id, jobRuns, outcomes: outcomes, into: &verdict)
            switch jobRuns.last?.end {
            case .done: verdict.completed += 1
            case .failed: verdict.failed += 1
            case nil:
                // Without a clean final drain an unfinished job may just still be queued: `incomplete` says so.
                guard complete else { continue }
                verdict.lost += 1
                let history = describe(jobRuns, outcomes: outcomes)
                verdict.findings.append(Finding(kind: .lost, job: id, detail: "job \(id) never finished: \(history)"))
            }
        }
        return verdict
    }

    /// Counts the job's interrupted runs and decides whether running it more than once is explained.
    private static func judgeRuns(
        of id: JobID, _ jobRuns: [Run], outcomes: [Int: ChaosRecord.Outcome], into verdict: inout Verdict
    ) {
        var explained = true
        for (index, run) in jobRuns.enumerated() {
            let outcome = outcomes[run.process]
            let rerun = index < jobRuns.count - 1
            switch (run.end, outcome) {
            case (nil, .forced?):
                verdict.requeued += 1
            case (nil, .killed?), (nil, .crashed?):
                verdict.recovered += 1
            case (nil, .clean?):
                verdict.findings.append(
                    Finding(
                        kind: .interruptedInCleanDrain, job: id,
                        detail:
                            "job \(id) attempt \(run.attempt) did not finish in process \(run.process), which drained cleanly"
                    )
                )
                explained = explained && !rerun
            case (nil, nil):
                // Its process has not exited in this record: nothing to judge yet.
                explained = explained && !rerun
            case (.some, .killed?) where rerun, (.some, .crashed?) where rerun:
                // It finished, but the process died before its outcome was durable: at-least-once allows a rerun.
                verdict.recovered += 1
            case (.some, _):
                explained = explained && !rerun
            }
        }
        guard jobRuns.count > 1 else { return }
        verdict.duplicated += 1
        if explained {
            verdict.duplicatedAllowed += 1
        } else {
            verdict.duplicatedUnexplained += 1
            verdict.findings.append(
                Finding(
                    kind: .unexplainedDuplicate, job: id,
                    detail: "job \(id) ran \(jobRuns.count) times: \(describe(jobRuns, outcomes: outcomes))"
                )
            )
        }
    }

    /// `attempt 1 in process 1 (forced): unfinished; attempt 2 in process 2 (clean): done`.
    private static func describe(_ jobRuns: [Run], outcomes: [Int: ChaosRecord.Outcome]) -> String {
        guard !jobRuns.isEmpty else { return "accepted, never started" }
        return jobRuns.map { run in
            let outcome = outcomes[run.process]?.rawValue ?? "still running"
            return "attempt \(run.attempt) in process \(run.process) (\(outcome)): \(run.end?.rawValue ?? "unfinished")"
        }
        .joined(separator: "; ")
    }

    private static func misplaced(_ id: JobID, _ what: String) -> Finding {
        Finding(kind: .misplacedLine, job: id, detail: "a '\(what)' line for job \(id) outside any process")
    }
}
