import DrainClient
import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Decodes the lines of a subscription, cheaply for the line that comes ten times a second.
///
/// A pushed snapshot is about 8 KB of JSON (50 jobs, 20 events, per-kind statistics). Decoding all of
/// it as a ``DrainControl/ControlMessage`` with `JSONDecoder` cost `top` about 1 % of a core at 10 Hz:
/// the snake-case key conversion, the ISO 8601 dates, a keyed container per job, and events it had
/// already seen. Protocol v2's snapshots carry no events after the first, yet decoding them in full
/// still cost 0.90–0.92 % against this path's 0.59–0.60 % (BENCHMARKS.md, issue 11): the generic
/// machinery of `JSONDecoder` (a keyed container and a key dictionary per job, metadata lookups, the
/// dates), more than the bytes. The fast path (``LeanSnapshot``) reads only what the screen shows, in
/// place; a line that carries something new (an event newer than `lastSeq`, a shutdown report), is not
/// a snapshot, or surprises it in any way takes the full decoder, which decides what is valid.
///
/// - Important: Not thread-safe: one per subscription, used by its reading thread only.
struct WireDecoder {
    /// What one line was.
    enum Line {
        /// A pushed snapshot. Its `recentEvents` is empty when it had no event newer than `lastSeq`.
        case snapshot(PoolSnapshot)
        /// Any other line, fully decoded: a reply, an error, an event, or a snapshot with news.
        case message(ControlMessage)
    }

    /// The newest event sequence number passed on so far; older events are not decoded again.
    var lastSeq = 0
    private let full = JSONDecoder.drain

    /// - Throws: ``DrainClient/ControlError`` `protocolViolation` when the line is not protocol v1 or v2.
    mutating func decode(_ line: Data) throws -> Line {
        let seq = lastSeq
        if let snapshot = line.withUnsafeBytes({
            LeanSnapshot.read($0.assumingMemoryBound(to: UInt8.self), lastSeq: seq)
        }) {
            return .snapshot(snapshot)
        }
        let message: ControlMessage
        do {
            message = try full.decode(ControlMessage.self, from: line)
        } catch {
            throw ControlError(
                .protocolViolation, "it sent a line that is not protocol v1 or v2: \(Self.excerpt(line))")
        }
        let seqs =
            (message.snapshot?.recentEvents.map(\.seq) ?? []) + [message.event?.seq].compactMap { $0 }
        lastSeq = max(lastSeq, seqs.max() ?? 0)
        return .message(message)
    }

    /// The start of a bad line, printable, for the error message.
    static func excerpt(_ line: Data) -> String {
        let text = String(decoding: line.prefix(48), as: UTF8.self)
        let printable = String(
            text.unicodeScalars.map { $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" })
        return "“" + printable + (line.count > 48 ? "…" : "") + "”"
    }
}

/// The fast path: a pushed snapshot line read with a ``JSONCursor``, keeping what the screen shows.
enum LeanSnapshot {
    /// The snapshot of `line` if it is a pushed snapshot without news; nil when the full decoder must
    /// read it (another type of line, an event newer than `lastSeq`, a report, anything unexpected).
    static func read(_ line: UnsafeBufferPointer<UInt8>, lastSeq: Int) -> PoolSnapshot? {
        var cursor = JSONCursor(line)
        var isSnapshot = false
        var snapshot: PoolSnapshot?
        do {
            try cursor.object { cursor, key in
                if JSONCursor.key(key, is: "type") {
                    isSnapshot = try cursor.string() == "snapshot"
                } else if JSONCursor.key(key, is: "snapshot") {
                    snapshot = try body(&cursor, lastSeq: lastSeq)
                } else {
                    try cursor.skip()
                }
            }
        } catch {
            return nil
        }
        return isSnapshot ? snapshot : nil
    }

    private struct Missing: Error {}

    /// name, pid, phase, ready, uptime, the eleven counters, the jobs and the events.
    private static let requiredKeys = 18

    private static func body(_ cursor: inout JSONCursor, lastSeq: Int) throws -> PoolSnapshot {
        var s = PoolSnapshot(name: "", pid: 0)
        // Keys always present in a snapshot (optional ones are left out when nil).
        var required = 0
        try cursor.object { c, key in
            if JSONCursor.key(key, is: "name") {
                required += 1
                s.name = try c.string()
            } else if JSONCursor.key(key, is: "pid") {
                required += 1
                s.pid = Int32(clamping: try c.int())
            } else if JSONCursor.key(key, is: "phase") {
                required += 1
                guard let phase = DrainPhase(rawValue: try c.string()) else { throw Missing() }
                s.phase = phase
            } else if JSONCursor.key(key, is: "ready") {
                required += 1
                s.ready = try c.bool()
            } else if JSONCursor.key(key, is: "uptime_seconds") {
                required += 1
                s.uptimeSeconds = try c.double()
            } else if JSONCursor.key(key, is: "in_flight") {
                required += 1
                s.inFlight = try c.int()
            } else if JSONCursor.key(key, is: "in_flight_jobs") {
                required += 1
                s.inFlightJobs = try c.int()
            } else if JSONCursor.key(key, is: "in_flight_operations") {
                required += 1
                s.inFlightOperations = try c.int()
            } else if JSONCursor.key(key, is: "queued") {
                required += 1
                s.queued = try c.int()
            } else if JSONCursor.key(key, is: "completed") {
                required += 1
                s.completed = try c.int()
            } else if JSONCursor.key(key, is: "failed") {
                required += 1
                s.failed = try c.int()
            } else if JSONCursor.key(key, is: "rejected") {
                required += 1
                s.rejected = try c.int()
            } else if JSONCursor.key(key, is: "cancelled") {
                required += 1
                s.cancelled = try c.int()
            } else if JSONCursor.key(key, is: "requeued") {
                required += 1
                s.requeued = try c.int()
            } else if JSONCursor.key(key, is: "recovered") {
                required += 1
                s.recovered = try c.int()
            } else if JSONCursor.key(key, is: "journal_reachable") {
                s.journalReachable = c.null() ? nil : try c.bool()
            } else if JSONCursor.key(key, is: "waiting_for_rescue") {
                s.waitingForRescue = c.null() ? nil : try c.int()
            } else if JSONCursor.key(key, is: "max_concurrent_jobs") {
                required += 1
                s.maxConcurrentJobs = try c.int()
            } else if JSONCursor.key(key, is: "drain_cause") {
                s.drainCause = c.null() ? nil : try cause(&c)
            } else if JSONCursor.key(key, is: "grace_seconds") {
                s.graceSeconds = c.null() ? nil : try c.double()
            } else if JSONCursor.key(key, is: "seconds_left") {
                s.secondsLeft = c.null() ? nil : try c.double()
            } else if JSONCursor.key(key, is: "in_flight_at_drain_start") {
                s.inFlightAtDrainStart = c.null() ? nil : try c.int()
            } else if JSONCursor.key(key, is: "drained_since_start") {
                s.drainedSinceStart = c.null() ? nil : try c.int()
            } else if JSONCursor.key(key, is: "eta_seconds") {
                s.etaSeconds = c.null() ? nil : try c.double()
            } else if JSONCursor.key(key, is: "predicted_misses") {
                s.predictedMisses = c.null() ? nil : try c.int()
            } else if JSONCursor.key(key, is: "eta_p50_seconds") {
                s.etaP50Seconds = c.null() ? nil : try c.double()
            } else if JSONCursor.key(key, is: "eta_p90_seconds") {
                s.etaP90Seconds = c.null() ? nil : try c.double()
            } else if JSONCursor.key(key, is: "expected_misses") {
                s.expectedMisses = c.null() ? nil : try c.double()
            } else if JSONCursor.key(key, is: "likely_to_miss_count") {
                s.likelyToMissCount = c.null() ? nil : try c.int()
            } else if JSONCursor.key(key, is: "likely_to_miss") {
                if c.null() {
                    s.likelyToMiss = nil
                } else {
                    var likely: [PoolSnapshot.LikelyMiss] = []
                    try c.array { likely.append(try likelyMiss(&$0)) }
                    s.likelyToMiss = likely
                }
            } else if JSONCursor.key(key, is: "plan") {
                s.plan = c.null() ? nil : try plan(&c)
            } else if JSONCursor.key(key, is: "oldest_jobs") {
                required += 1
                try c.array { s.oldestJobs.append(try job(&$0)) }
            } else if JSONCursor.key(key, is: "recent_events") {
                // Only the numbers: a newer event than the last one seen sends the line the full way.
                required += 1
                try c.array { element in
                    try element.object { e, key in
                        guard JSONCursor.key(key, is: "seq") else { return try e.skip() }
                        if try e.int() > lastSeq { throw Missing() }
                    }
                }
            }
            // A report is rare and needs the full model: leave it to the full decoder.
            else if JSONCursor.key(key, is: "report") {
                guard c.null() else { throw Missing() }
            } else {
                try c.skip()
            }
        }
        // Every key the screen needs must have been there, or the full decoder decides.
        guard required == Self.requiredKeys else { throw Missing() }
        return s
    }

    private static func job(_ cursor: inout JSONCursor) throws -> PoolSnapshot.InFlightJob {
        var id: JobID?
        var kind: String?
        var attempt = 1
        var age: Double?
        var remaining: Double?
        var pMiss: Double?
        var source: PredictionSource?
        try cursor.object { c, key in
            if JSONCursor.key(key, is: "id") {
                id = JobID(try c.int())
            } else if JSONCursor.key(key, is: "kind") {
                kind = try c.string()
            } else if JSONCursor.key(key, is: "attempt") {
                attempt = try c.int()
            } else if JSONCursor.key(key, is: "age_seconds") {
                age = try c.double()
            } else if JSONCursor.key(key, is: "predicted_remaining_seconds") {
                remaining = c.null() ? nil : try c.double()
            } else if JSONCursor.key(key, is: "p_miss") {
                pMiss = c.null() ? nil : try c.double()
            } else if JSONCursor.key(key, is: "prediction_source") {
                guard !c.null() else { return }
                guard let known = PredictionSource(rawValue: try c.string()) else { throw Missing() }
                source = known
            } else {
                try c.skip()
            }
        }
        guard let id, let kind, let age else { throw Missing() }
        var job = PoolSnapshot.InFlightJob(
            id: id, kind: kind, ageSeconds: age, predictedRemainingSeconds: remaining, attempt: attempt)
        job.pMiss = pMiss
        job.predictionSource = source
        return job
    }

    private static func likelyMiss(_ cursor: inout JSONCursor) throws -> PoolSnapshot.LikelyMiss {
        var id: JobID?
        var kind: String?
        var pMiss: Double?
        try cursor.object { c, key in
            if JSONCursor.key(key, is: "id") {
                id = JobID(try c.int())
            } else if JSONCursor.key(key, is: "kind") {
                kind = try c.string()
            } else if JSONCursor.key(key, is: "p_miss") {
                pMiss = try c.double()
            } else {
                try c.skip()
            }
        }
        guard let id, let kind, let pMiss else { throw Missing() }
        return PoolSnapshot.LikelyMiss(id: id, kind: kind, pMiss: pMiss)
    }

    private static func plan(_ cursor: inout JSONCursor) throws -> DrainPlan {
        var grace: Double?
        var plan = DrainPlan(
            graceSeconds: 0, etaP50Seconds: nil, etaP90Seconds: nil, expectedMisses: 0, suggestedGraceSeconds: nil)
        var expected: Double?
        try cursor.object { c, key in
            if JSONCursor.key(key, is: "grace_seconds") {
                grace = try c.double()
            } else if JSONCursor.key(key, is: "eta_p50_seconds") {
                plan.etaP50Seconds = c.null() ? nil : try c.double()
            } else if JSONCursor.key(key, is: "eta_p90_seconds") {
                plan.etaP90Seconds = c.null() ? nil : try c.double()
            } else if JSONCursor.key(key, is: "expected_misses") {
                expected = try c.double()
            } else if JSONCursor.key(key, is: "suggested_grace_seconds") {
                plan.suggestedGraceSeconds = c.null() ? nil : try c.double()
            } else {
                try c.skip()
            }
        }
        guard let grace, let expected else { throw Missing() }
        plan.graceSeconds = grace
        plan.expectedMisses = expected
        return plan
    }

    private static func cause(_ cursor: inout JSONCursor) throws -> DrainCause {
        var source: DrainCause.Source?
        var cause = DrainCause(source: .application)
        try cursor.object { c, key in
            if JSONCursor.key(key, is: "source") {
                source = DrainCause.Source(rawValue: try c.string())
            } else if JSONCursor.key(key, is: "signal") {
                cause.signal = c.null() ? nil : try c.string()
            } else if JSONCursor.key(key, is: "pid") {
                cause.pid = c.null() ? nil : Int32(clamping: try c.int())
            } else if JSONCursor.key(key, is: "uid") {
                cause.uid = c.null() ? nil : UInt32(clamping: try c.int())
            } else if JSONCursor.key(key, is: "reason") {
                cause.reason = c.null() ? nil : try c.string()
            } else {
                try c.skip()
            }
        }
        guard let source else { throw Missing() }
        cause.source = source
        return cause
    }
}
