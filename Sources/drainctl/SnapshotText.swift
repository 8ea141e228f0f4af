import DrainProtocol
import Foundation

/// Plain-text renderings of snapshots and events for `status`, `events` and `shutdown`.
enum SnapshotText {
    static func render(_ s: PoolSnapshot) -> String {
        var lines = [
            "\(s.name)  pid \(s.pid)  \(s.phase.rawValue.uppercased())  up \(duration(s.uptimeSeconds))  \(s.ready ? "ready" : "not ready")",
            "  in flight \(s.inFlight) (jobs \(s.inFlightJobs), operations \(s.inFlightOperations))  queued \(s.loaded ? "\(s.queued)" : "? (reading the journal)")  completed \(s.completed)  failed \(s.failed)",
            "  rejected \(s.rejected)  cancelled \(s.cancelled)  requeued \(s.requeued)  recovered \(s.recovered)",
        ]
        if let started = s.inFlightAtDrainStart {
            var drain = "  drain: started by \(s.drainCause?.description ?? "?")"
            if let grace = s.graceSeconds { drain += ", grace \(duration(grace))" }
            if let left = s.secondsLeft { drain += ", \(String(format: "%.1f", max(0, left)))s left" }
            drain += ", \(s.drainedSinceStart ?? 0)/\(started) done"
            if s.expectedMisses != nil {
                drain += ", ETA " + range(s.etaP50Seconds, s.etaP90Seconds, beyond: "past the deadline")
                drain += String(format: ", %.1f expected to miss", s.expectedMisses ?? 0)
            } else {
                if let eta = s.etaSeconds { drain += ", ETA \(String(format: "%.1f", eta))s" }
                if let misses = s.predictedMisses, misses > 0 { drain += ", \(misses) predicted to miss the deadline" }
            }
            lines.append(drain)
            if let likely = s.likelyToMiss, let count = s.likelyToMissCount, count > 0 {
                let named = likely.map { "\($0.kind) #\($0.id) (\(Int(($0.pMiss * 100).rounded()))%)" }
                lines.append("  likely to miss: \(count): " + named.joined(separator: ", "))
            }
        } else if let plan = s.plan {
            var line = "  planner: a \(duration(plan.graceSeconds)) drain now: ETA "
            line += range(plan.etaP50Seconds, plan.etaP90Seconds, beyond: "past the grace")
            line += String(format: ", %.1f expected to miss", plan.expectedMisses)
            if let suggested = plan.suggestedGraceSeconds {
                line += "; 90 % drained in \(duration(suggested.rounded(.up))) (shutdown --grace auto)"
            } else {
                line += "; no grace under a day drains it all with 90 %"
            }
            lines.append(line)
        }
        if let report = s.report {
            lines.append("  stopped \(report.outcome.rawValue) after \(String(format: "%.2f", report.drainSeconds))s")
        }
        if !s.oldestJobs.isEmpty {
            lines.append("  oldest in flight:")
            for job in s.oldestJobs.prefix(5) {
                var line = "    #\(job.id) \(job.kind)  \(String(format: "%.1f", job.ageSeconds))s"
                if let p = job.pMiss {
                    line += String(format: "  P(miss) %.0f%%", p * 100)
                    if let source = job.predictionSource { line += " (\(source.rawValue))" }
                }
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }

    static func render(_ event: DrainEvent) -> String {
        let time = event.time.formatted(.iso8601.time(includingFractionalSeconds: false))
        return "\(time)  \(event.phase.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0))  \(event.message)"
    }

    /// `2.1–4.8s`, `2.1s–past the deadline`, or `past the deadline`.
    static func range(_ p50: Double?, _ p90: Double?, beyond: String) -> String {
        switch (p50, p90) {
        case (let p50?, let p90?): String(format: "%.1f–%.1fs", p50, p90)
        case (let p50?, nil): String(format: "%.1fs–", p50) + beyond
        case (nil, _): beyond
        }
    }

    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.down))
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        return String(format: "%dh%02dm", whole / 3600, (whole % 3600) / 60)
    }
}
