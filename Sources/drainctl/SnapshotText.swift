import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Plain-text renderings of snapshots and events for `status`, `events` and `shutdown`.
enum SnapshotText {
    static func render(_ s: PoolSnapshot) -> String {
        var lines = [
            "\(s.name)  pid \(s.pid)  \(s.phase.rawValue.uppercased())  up \(duration(s.uptimeSeconds))  \(s.ready ? "ready" : "not ready")",
            "  in flight \(s.inFlight) (jobs \(s.inFlightJobs), operations \(s.inFlightOperations))  queued \(s.loaded ? "\(s.queued)" : "? (reading the journal)")  completed \(s.completed)  failed \(s.failed)",
            "  rejected \(s.rejected)  cancelled \(s.cancelled)  requeued \(s.requeued)  recovered \(s.recovered)",
        ]
        // A shared (PostgreSQL) journal: queued is the fleet's, and the operator must see when it is down.
        if let reachable = s.journalReachable {
            lines.append(
                reachable
                    ? "  journal: shared (queued counts the fleet's queue)"
                    : "  journal: UNREACHABLE (submits fail; outcomes are retried until the drain ends)")
        }
        // Jobs left running under a gone worker: queued work too, for whoever decides how many workers run.
        if let waiting = s.waitingForRescue, waiting > 0 {
            lines.append(
                "  waiting for rescue \(waiting) (left running by a gone worker; back in the queue at its lease)")
        }
        if let started = s.inFlightAtDrainStart {
            var drain = "  drain: started by \(s.drainCause?.description ?? "?")"
            if let grace = s.graceSeconds { drain += ", grace \(duration(grace))" }
            if let left = s.secondsLeft { drain += ", \(DurationFormat.fixed(max(0, left), places: 1))s left" }
            drain += ", \(s.drainedSinceStart ?? 0)/\(started) done"
            if let expected = s.expectedMisses {
                drain += ", ETA " + DurationFormat.eta(s.etaP50Seconds, s.etaP90Seconds, past: "past the deadline")
                drain += ", \(DurationFormat.fixed(expected, places: 1)) expected to miss"
            } else {
                if let eta = s.etaSeconds { drain += ", ETA \(DurationFormat.fixed(eta, places: 1))s" }
                if let misses = s.predictedMisses, misses > 0 { drain += ", \(misses) predicted to miss the deadline" }
            }
            lines.append(drain)
            if let likely = s.likelyToMiss, let count = s.likelyToMissCount, count > 0 {
                let named = likely.map { "\($0.kind) #\($0.id) (\(percent($0.pMiss)))" }
                lines.append("  likely to miss: \(count): " + named.joined(separator: ", "))
            }
        } else if let plan = s.plan {
            var line = "  planner: a \(duration(plan.graceSeconds)) drain now: ETA "
            line += DurationFormat.eta(plan.etaP50Seconds, plan.etaP90Seconds, past: "past the grace")
            line += ", \(DurationFormat.fixed(plan.expectedMisses, places: 1)) expected to miss"
            if let suggested = plan.suggestedGraceSeconds {
                line += "; 90 % drained in \(duration(suggested.rounded(.up))) (shutdown --grace auto)"
            } else {
                line += "; no grace under a day drains it all with 90 %"
            }
            lines.append(line)
        }
        if let report = s.report {
            lines.append(
                "  stopped \(report.outcome.rawValue) after \(DurationFormat.fixed(report.drainSeconds, places: 2))s")
        }
        if !s.oldestJobs.isEmpty {
            lines.append("  oldest in flight:")
            for job in s.oldestJobs.prefix(5) {
                var line = "    #\(job.id) \(job.kind)  \(DurationFormat.fixed(job.ageSeconds, places: 1))s"
                if let p = job.pMiss {
                    line += "  P(miss) \(percent(p))"
                    if let source = job.predictionSource { line += " (\(source.rawValue))" }
                }
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `14:03:27  draining   drain started by SIGTERM`: the time in UTC, as the ISO-8601 event times are.
    static func render(_ event: DrainEvent) -> String {
        let phase = event.phase.rawValue
        let padded = phase + String(repeating: " ", count: max(0, 9 - phase.count))
        return "\(utcTime(event.time))  \(padded)  \(event.message)"
    }

    static func duration(_ seconds: Double) -> String { DurationFormat.duration(seconds) }

    /// `82%`.
    static func percent(_ p: Double) -> String { "\(Int((min(1, max(0, p)) * 100).rounded()))%" }

    private static func utcTime(_ date: Date) -> String {
        let second = Int(date.timeIntervalSince1970.rounded(.down))
        let day = ((second % 86_400) + 86_400) % 86_400
        let pad = DurationFormat.pad2
        return pad(day / 3600) + ":" + pad((day % 3600) / 60) + ":" + pad(day % 60)
    }
}
