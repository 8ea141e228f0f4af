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
            if let eta = s.etaSeconds { drain += ", ETA \(String(format: "%.1f", eta))s" }
            if let misses = s.predictedMisses, misses > 0 { drain += ", \(misses) predicted to miss the deadline" }
            lines.append(drain)
        }
        if let report = s.report {
            lines.append("  stopped \(report.outcome.rawValue) after \(String(format: "%.2f", report.drainSeconds))s")
        }
        if !s.oldestJobs.isEmpty {
            lines.append("  oldest in flight:")
            for job in s.oldestJobs.prefix(5) {
                lines.append("    #\(job.id) \(job.kind)  \(String(format: "%.1f", job.ageSeconds))s")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func render(_ event: DrainEvent) -> String {
        let time = event.time.formatted(.iso8601.time(includingFractionalSeconds: false))
        return "\(time)  \(event.phase.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0))  \(event.message)"
    }

    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.down))
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        return String(format: "%dh%02dm", whole / 3600, (whole % 3600) / 60)
    }
}
