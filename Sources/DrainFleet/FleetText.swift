import DrainProtocol

/// The fleet in words, the same for `ls`, `status` and `top`.
public enum FleetText {
    /// `running`, `draining`, `LOST`, `rescued`, `stopped`.
    public static func state(_ worker: FleetWorker) -> String {
        switch worker.health {
        case .alive: worker.phase?.rawValue ?? "unknown"
        case .stopped: "stopped"
        case .lost: "lost"
        case .rescued: "rescued"
        }
    }

    /// What an operator needs to know beyond the phase: the countdown, or what became of its jobs.
    public static func detail(_ worker: FleetWorker) -> String {
        switch worker.health {
        case .alive:
            guard let left = worker.secondsLeft else { return "" }
            var text = "\(DurationFormat.seconds(max(0, left))) left"
            if let grace = worker.drain?.graceSeconds { text += " of \(DurationFormat.short(grace))" }
            if let drained = worker.drained {
                text += ", \(drained)\(worker.drain?.total.map { "/\($0)" } ?? "") drained"
            }
            if let eta = eta(worker) { text += ", ETA " + eta }
            if let misses = worker.drain?.expectedMisses {
                text += ", \(DurationFormat.fixed(misses, places: 1)) expected to miss"
            }
            return text
        case .stopped: return drain(worker) ?? ""
        case .lost(let rescueIn):
            let jobs = "\(worker.running) job\(worker.running == 1 ? "" : "s")"
            let when = rescueIn > 0 ? "rescue in \(DurationFormat.seconds(rescueIn))" : "rescue due now"
            // Its sessions closed: the process ended, which the database knew before the lease ran out.
            let why = worker.gone ? "process gone" : "silent \(DurationFormat.seconds(worker.silence))"
            return "\(why): \(jobs) wait\(worker.running == 1 ? "s" : "") for rescue, \(when)"
        case .rescued:
            let since = worker.deadFor.map { " \(DurationFormat.seconds($0)) ago" } ?? ""
            return worker.running == 0 ? "its jobs were rescued\(since)" : "\(worker.running) still held"
        }
    }

    /// `drain #42 · drainctl report 42`: a stopped worker's drain in the fleet's history, and the command
    /// that draws it (with the fleet's `--postgres URL`); nil until its drain is known.
    public static func drain(_ worker: FleetWorker) -> String? {
        worker.drainID.map { "drain #\($0) · drainctl report \($0)" }
    }

    /// `2.1–4.8s`, `2.1s–past`: a draining worker's ETA, moved on by its silence and `elapsed` seconds
    /// since the read; nil when it wrote no prediction.
    public static func eta(_ worker: FleetWorker, elapsed: Double = 0) -> String? {
        guard let drain = worker.drain, drain.expectedMisses != nil || drain.etaP50Seconds != nil else { return nil }
        let moved = worker.silence + elapsed
        return DurationFormat.eta(
            drain.etaP50Seconds.map { max(0, $0 - moved) }, drain.etaP90Seconds.map { max(0, $0 - moved) })
    }

    /// `web-3 requeued 12 → taken by web-1 (7), web-2 (5)`, with `3 still queued` when some are not;
    /// `rescued` instead of `requeued` when the worker died and a peer rescued its jobs.
    /// - Parameters:
    ///   - names: Worker id → name, for the workers of the last read.
    ///   - rescued: Ids of the workers found dead, whose jobs went back by a rescue rather than a drain.
    public static func handoff(
        _ handoff: HandoffTracker.Handoff, names: [String: String], rescued: Set<String> = []
    ) -> String {
        let from = names[handoff.from] ?? String(handoff.from.prefix(8))
        var text = "\(from) \(rescued.contains(handoff.from) ? "rescued" : "requeued") \(handoff.requeued)"
        let takers = handoff.takenBy.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            .map { "\(names[$0.key] ?? String($0.key.prefix(8))) (\($0.value))" }
        if !takers.isEmpty { text += " → taken by " + takers.joined(separator: ", ") }
        if handoff.waiting > 0 { text += (takers.isEmpty ? " → " : ", ") + "\(handoff.waiting) still queued" }
        return text
    }

    /// `3 workers on 2 hosts: 1 running, 1 draining, 1 lost; 4 queued`
    public static func summary(_ snapshot: FleetSnapshot) -> String {
        let hosts = Set(snapshot.workers.map(\.host)).count
        var counts: [String: Int] = [:]
        for worker in snapshot.workers { counts[state(worker), default: 0] += 1 }
        let order = ["running", "lame_duck", "draining", "forcing", "lost", "rescued", "stopped"]
        let parts = order.compactMap { name in counts[name].map { "\($0) \(name == "lame_duck" ? "lame duck" : name)" }
        }
        var text =
            "\(snapshot.workers.count) worker\(snapshot.workers.count == 1 ? "" : "s") on \(hosts) host\(hosts == 1 ? "" : "s")"
        if !parts.isEmpty { text += ": " + parts.joined(separator: ", ") }
        text += "; \(snapshot.queued) queued"
        let waiting = snapshot.workers.map(\.waitingForRescue).reduce(0, +)
        return waiting > 0 ? text + ", \(waiting) waiting for rescue" : text
    }
}
