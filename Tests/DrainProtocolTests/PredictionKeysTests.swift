import DrainProtocol
import Foundation
import Testing

/// The prediction fields of a snapshot (docs/PROTOCOL.md, "Predictions"): their keys are pinned here,
/// apart from the base snapshot's, because they are nil (absent) in most snapshots.
@Suite("Prediction wire keys")
struct PredictionKeysTests {
    static var draining: PoolSnapshot {
        var snapshot = PoolSnapshot(name: "shop", pid: 42, phase: .draining, time: Date(timeIntervalSince1970: 0))
        snapshot.etaP50Seconds = 3
        snapshot.etaP90Seconds = 7.5
        snapshot.expectedMisses = 1.25
        snapshot.likelyToMissCount = 1
        snapshot.likelyToMiss = [.init(id: 58, kind: "report.export", pMiss: 0.8)]
        snapshot.oldestJobs = [
            .init(
                id: 58, kind: "report.export", attempt: 1, startedAt: Date(timeIntervalSince1970: 0), ageSeconds: 9,
                predictedRemainingSeconds: 6, pMiss: 0.8, predictionSource: .history)
        ]
        snapshot.kinds = [
            .init(
                kind: "report.export", inFlight: 1, samples: 40, p50Seconds: 6, p95Seconds: 30,
                predictionSource: .history)
        ]
        return snapshot
    }

    static func object(_ value: some Encodable) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: JSONEncoder.drain.encode(value)) as? [String: Any])
    }

    @Test("a draining snapshot carries the ETA range, the expected misses and the likely list in snake_case")
    func drainingKeys() throws {
        let object = try Self.object(Self.draining)
        for key in ["eta_p50_seconds", "eta_p90_seconds", "expected_misses", "likely_to_miss_count", "likely_to_miss"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(object["plan"] == nil)
        let likely = try #require((object["likely_to_miss"] as? [[String: Any]])?.first)
        #expect(Set(likely.keys) == ["id", "kind", "p_miss"])
        let job = try #require((object["oldest_jobs"] as? [[String: Any]])?.first)
        #expect(job["p_miss"] as? Double == 0.8)
        #expect(job["prediction_source"] as? String == "history")
        let kind = try #require((object["kinds"] as? [[String: Any]])?.first)
        #expect(kind["prediction_source"] as? String == "history")
    }

    @Test("a running snapshot carries the planner with exactly its keys")
    func planKeys() throws {
        var snapshot = PoolSnapshot(name: "shop", pid: 42)
        snapshot.plan = DrainPlan(
            graceSeconds: 30, etaP50Seconds: 4, etaP90Seconds: 12, expectedMisses: 0.3, suggestedGraceSeconds: 14)
        let plan = try #require(try Self.object(snapshot)["plan"] as? [String: Any])
        #expect(
            Set(plan.keys) == [
                "grace_seconds", "eta_p50_seconds", "eta_p90_seconds", "expected_misses", "suggested_grace_seconds",
            ])
    }

    @Test("prediction fields decode back to the values they were encoded from; their absence decodes as nil")
    func roundTrip() throws {
        let snapshot = Self.draining
        let data = try JSONEncoder.drain.encode(snapshot)
        #expect(try JSONDecoder.drain.decode(PoolSnapshot.self, from: data) == snapshot)
        let bare = try JSONEncoder.drain.encode(PoolSnapshot(name: "shop", pid: 42))
        let decoded = try JSONDecoder.drain.decode(PoolSnapshot.self, from: bare)
        #expect(decoded.plan == nil && decoded.expectedMisses == nil && decoded.likelyToMiss == nil)
        #expect(PredictionSource(rawValue: "declared") == .declared)
    }
}
