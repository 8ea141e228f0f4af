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
        if let started = s.inFlightAtDrainStart {
            var drain = "  drain: started by \(s.drainCause?.description ?? "?")"
            if let grace = s.graceSeconds { drain += ", grace \(duration(grace))" }
            if let left = s.secondsLeft { drain += ", \(DurationFormat.fixed(max(0, left), places: 1))s left" }
            drain += ", \(s.drainedSinceStart ?? 0)/\(started) done"
            if let eta = s.etaSeconds { drain += ", ETA \(DurationFormat.fixed(eta, places: 1))s" }
            if let misses = s.predictedMisses, misses > 0 { drain += ", \(misses) predicted to miss the deadline" }
            lines.append(drain)
        }
        if let report = s.report {
            lines.append(
                "  stopped \(report.outcome.rawValue) after \(DurationFormat.fixed(report.drainSeconds, places: 2))s")
        }
        if !s.oldestJobs.isEmpty {
            lines.append("  oldest in flight:")
            for job in s.oldestJobs.prefix(5) {
                lines.append("    #\(job.id) \(job.kind)  \(DurationFormat.fixed(job.ageSeconds, places: 1))s")
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

    private static func utcTime(_ date: Date) -> String {
        let second = Int(date.timeIntervalSince1970.rounded(.down))
        let day = ((second % 86_400) + 86_400) % 86_400
        let pad = DurationFormat.pad2
        return pad(day / 3600) + ":" + pad((day % 3600) / 60) + ":" + pad(day % 60)
    }
}
