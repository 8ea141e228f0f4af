import DrainProtocol
import Foundation
import Testing

/// The snake_case keys are the contract with every client (the dashboard, scripts using socat); these
/// tests pin each type's full key set, so a renamed property cannot silently rename a wire field.
@Suite("Wire keys")
struct WireKeysTests {
    static let time = Date(timeIntervalSince1970: 1_700_000_000)

    static let cause = DrainCause(source: .client, signal: "SIGTERM", pid: 42, uid: 1000, reason: "deploy")

    static let report = ShutdownReport(
        outcome: .forced, name: "shop", pid: 42, cause: cause, drainStartedAt: time, stoppedAt: time,
        drainSeconds: 1.5, graceSeconds: 30, inFlightAtDrainStart: 3, completed: 1, failed: 0, cancelled: 1,
        requeued: 1, recovered: 0, rejected: 2, queued: 4,
        jobs: [.init(id: 7, kind: "email", ranSeconds: 2, fate: "cancelled", requeued: true)]
    )

    static let event = DrainEvent(
        seq: 3, time: time, kind: .jobRequeued, phase: .forcing, cause: cause, message: "job 7 requeued",
        jobID: 7, jobKind: "email", ranSeconds: 2, graceSeconds: 30, report: report
    )

    static var snapshot: PoolSnapshot {
        var snapshot = PoolSnapshot(name: "shop", pid: 42, phase: .draining, time: time)
        snapshot.drainCause = cause
        snapshot.drainStartedAt = time
        snapshot.graceSeconds = 30
        snapshot.deadline = time
        snapshot.secondsLeft = 12
        snapshot.inFlightAtDrainStart = 3
        snapshot.drainedSinceStart = 1
        snapshot.etaSeconds = 4
        snapshot.predictedMisses = 0
        snapshot.oldestJobs = [
            .init(
                id: 7, kind: "email", attempt: 1, startedAt: time, ageSeconds: 2, predictedRemainingSeconds: 1)
        ]
        snapshot.kinds = [.init(kind: "email", inFlight: 1, samples: 5, p50Seconds: 1, p95Seconds: 2)]
        snapshot.recentEvents = [event]
        snapshot.report = report
        return snapshot
    }

    static func object(_ value: some Encodable) throws -> [String: Any] {
        let data = try JSONEncoder.drain.encode(value)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("a snapshot carries exactly its documented keys, nested ones included")
    func snapshotKeys() throws {
        let object = try Self.object(Self.snapshot)
        #expect(
            Set(object.keys) == [
                "name", "pid", "time", "phase", "ready", "uptime_seconds", "in_flight", "in_flight_jobs",
                "in_flight_operations", "loaded", "queued", "completed", "failed", "rejected", "cancelled",
                "requeued", "recovered", "max_concurrent_jobs", "drain_cause", "drain_started_at", "grace_seconds",
                "deadline", "seconds_left", "in_flight_at_drain_start", "drained_since_start", "eta_seconds",
                "predicted_misses", "oldest_jobs", "kinds", "recent_events", "report",
            ])
        let job = try #require((object["oldest_jobs"] as? [[String: Any]])?.first)
        #expect(Set(job.keys) == ["id", "kind", "attempt", "started_at", "age_seconds", "predicted_remaining_seconds"])
        let kind = try #require((object["kinds"] as? [[String: Any]])?.first)
        #expect(Set(kind.keys) == ["kind", "in_flight", "samples", "p50_seconds", "p95_seconds"])
        #expect(object["time"] as? String == "2023-11-14T22:13:20Z")
        #expect(object["phase"] as? String == "draining")
    }

    @Test("a shared journal's counts travel as journal_reachable and waiting_for_rescue, absent otherwise")
    func sharedJournalKeys() throws {
        var snapshot = PoolSnapshot(name: "shop", pid: 42, time: Self.time)
        #expect(try Self.object(snapshot)["waiting_for_rescue"] == nil, "a private journal's snapshot omits it")
        snapshot.journalReachable = true
        snapshot.waitingForRescue = 3
        let object = try Self.object(snapshot)
        #expect(object["journal_reachable"] as? Bool == true)
        #expect(object["waiting_for_rescue"] as? Int == 3)
        let decoded = try JSONDecoder.drain.decode(PoolSnapshot.self, from: JSONEncoder.drain.encode(snapshot))
        #expect(decoded.waitingForRescue == 3)
    }

    @Test("an event, its cause and its report carry exactly their documented keys")
    func eventKeys() throws {
        let event = try Self.object(Self.event)
        #expect(
            Set(event.keys) == [
                "seq", "time", "kind", "phase", "cause", "message", "job_id", "job_kind", "ran_seconds",
                "grace_seconds", "report",
            ])
        #expect(event["kind"] as? String == "job_requeued")
        let cause = try #require(event["cause"] as? [String: Any])
        #expect(Set(cause.keys) == ["source", "signal", "pid", "uid", "reason"])
        let report = try #require(event["report"] as? [String: Any])
        #expect(
            Set(report.keys) == [
                "outcome", "name", "pid", "cause", "drain_started_at", "stopped_at", "drain_seconds",
                "grace_seconds", "in_flight_at_drain_start", "completed", "failed", "cancelled", "requeued",
                "recovered", "rejected", "queued", "jobs",
            ])
        let entry = try #require((report["jobs"] as? [[String: Any]])?.first)
        #expect(Set(entry.keys) == ["id", "kind", "ran_seconds", "fate", "requeued"])
    }

    @Test("a request spells interval_ms in snake_case both ways")
    func requestKeys() throws {
        let request = ControlRequest(op: .subscribe, id: 4, intervalMs: 250)
        let object = try Self.object(request)
        #expect(Set(object.keys) == ["v", "id", "op", "interval_ms"])
        let decoded = try JSONDecoder.drain.decode(
            ControlRequest.self, from: Data(#"{"op":"subscribe","interval_ms":250,"id":4,"v":1}"#.utf8))
        #expect(decoded == request)
    }

    @Test("every type decodes back to the value it was encoded from")
    func roundTrip() throws {
        let snapshot = Self.snapshot
        let data = try JSONEncoder.drain.encode(snapshot)
        #expect(try JSONDecoder.drain.decode(PoolSnapshot.self, from: data) == snapshot)
        let report = try JSONDecoder.drain.decode(ShutdownReport.self, from: try Self.report.jsonData())
        #expect(report == Self.report)
    }
}
