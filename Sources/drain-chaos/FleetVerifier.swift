import DrainProtocol

/// Checks the merged `--record` files of a fleet: a pure function of their lines.
///
/// The promises: every accepted job finished (`done` or `failed`) somewhere in the fleet once the queue was
/// empty, and no run was started twice with the same attempt number (which would mean one claim handed
/// the job to two workers). A job may run again on another worker — at-least-once delivery — but each
/// run is a new claim, so its attempt is higher.
enum FleetVerifier {
    struct Verdict: Sendable, Hashable {
        var accepted = 0
        var finished = 0
        var lost: [JobID] = []
        var doubleClaims: [JobID] = []
        var reruns = 0

        var passed: Bool { lost.isEmpty && doubleClaims.isEmpty }
    }

    /// - Parameter records: The lines of each worker's record file.
    static func verify(_ records: [[String]]) -> Verdict {
        var accepted: Set<JobID> = []
        var finished: Set<JobID> = []
        var starts: [JobID: Set<Int>] = [:]
        var doubleClaims: Set<JobID> = []
        var reruns = 0
        for lines in records {
            for line in lines {
                let parts = line.split(separator: " ")
                guard parts.count >= 2, let id = JobID(parts[1]) else { continue }
                switch parts[0] {
                case "accepted": accepted.insert(id)
                case "done", "failed": finished.insert(id)
                case "start":
                    let attempt = parts.count > 2 ? Int(parts[2]) ?? 0 : 0
                    if starts[id, default: []].insert(attempt).inserted == false { doubleClaims.insert(id) }
                    if starts[id, default: []].count > 1 { reruns += 1 }
                default: break
                }
            }
        }
        var verdict = Verdict()
        verdict.accepted = accepted.count
        verdict.finished = accepted.intersection(finished).count
        verdict.lost = accepted.subtracting(finished).sorted()
        verdict.doubleClaims = doubleClaims.sorted()
        verdict.reruns = reruns
        return verdict
    }
}
