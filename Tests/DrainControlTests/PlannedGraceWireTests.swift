import Drain
import DrainTestSupport
import Foundation
import Testing

@testable import DrainControl

/// `"grace":"auto"` on a live server: a pool that plans its own grace, and every malformed variant
/// refused with its code, draining nothing.
@Suite("planned grace on the wire", .timeLimit(.minutes(5)))
struct PlannedGraceWireTests {
    @Test("bad grace and max_grace values are refused and drain nothing; auto drains with a planned grace")
    func plannedOnTheWire() async throws {
        let harness = try await ServerHarness()
        do {
            try await LineClient.with(path: harness.socketPath) { client in
                try await client.send(
                    """
                    {"op":"shutdown","id":1,"grace":"soon"}
                    {"op":"shutdown","id":2,"grace":"auto","max_grace":0}
                    {"op":"shutdown","id":3,"grace":"auto","max_grace":90000}
                    {"op":"shutdown","id":4,"grace":10,"max_grace":60}
                    {"op":"status","id":5}
                    {"op":"shutdown","id":6,"grace":"auto","max_grace":60,"reason":"test"}

                    """)
                var replies: [[String: Any]] = []
                for _ in 0..<6 { replies.append(try #require(try await client.reply())) }
                #expect(replies.compactMap { $0["id"] as? Int } == [1, 2, 3, 4, 5, 6])
                #expect(replies[0].errorCode == "bad_request")
                #expect(replies[1].errorCode == "invalid_argument")
                #expect(replies[2].errorCode == "invalid_argument")
                #expect(replies[3].errorCode == "invalid_argument")
                let running = try #require(replies[4]["snapshot"] as? [String: Any])
                #expect(running["phase"] as? String == "running", "a refused request drained")
                // Nothing in flight: the plan is its least, a second, and the drain ends at once after it
                // (never before it: the reply always carries the plan).
                let planned = try #require(replies[5]["snapshot"] as? [String: Any], "\(replies[5])")
                #expect(planned["phase"] as? String != "running")
                // Counted from the drain's start, so the moment the plan took is in it.
                #expect((planned["grace_seconds"] as? Double ?? 99) < 2, "\(planned)")
                let events = (planned["recent_events"] as? [[String: Any]]) ?? []
                #expect(
                    events.contains { ($0["message"] as? String)?.hasPrefix("grace planned: 1s drains") == true },
                    "\(events)")
            }
            try await harness.waitForEnd()
        } catch {
            await harness.stop()
            throw error
        }
    }
}
