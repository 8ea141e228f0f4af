import Drain
import DrainProtocol
import Foundation
import Testing

@testable import DrainControl

/// Version 2 is negotiated in `hello` and changes subscriptions only: each event once, snapshots without
/// `recent_events` after the first. A version 1 client on the same server sees what it always saw.
@Suite("protocol versions", .timeLimit(.minutes(5)))
struct ProtocolVersionTests {
    /// Reads lines until `count` snapshots have arrived and, with `afterEvent`, until that many more have
    /// followed the first event line (a loaded machine may deliver the event a few ticks late); at most
    /// 200 snapshots. Returns the snapshots and the events.
    static func collect(_ client: LineClient, snapshots count: Int, afterEvent: Int? = nil) async throws -> (
        snapshots: [[String: Any]], events: [[String: Any]], versions: Set<Int>
    ) {
        var snapshots: [[String: Any]] = []
        var events: [[String: Any]] = []
        var versions: Set<Int> = []
        var sinceEvent: Int?
        func done() -> Bool {
            guard snapshots.count >= count else { return false }
            guard let afterEvent else { return true }
            return (sinceEvent ?? -1) >= afterEvent || snapshots.count >= 200
        }
        while !done(), let line = try await client.next() {
            if let v = line["v"] as? Int { versions.insert(v) }
            if let snapshot = line["snapshot"] as? [String: Any], line["type"] as? String == "snapshot" {
                snapshots.append(snapshot)
                sinceEvent = sinceEvent.map { $0 + 1 }
            }
            if let event = line["event"] as? [String: Any] {
                events.append(event)
                sinceEvent = sinceEvent ?? 0
            }
        }
        return (snapshots, events, versions)
    }

    static func recentSeqs(_ snapshot: [String: Any]) -> [Int] {
        ((snapshot["recent_events"] as? [[String: Any]]) ?? []).compactMap { $0["seq"] as? Int }
    }

    @Test("hello with v 2 or 3 negotiates that version; without v the server answers in version 1")
    func negotiation() async throws {
        let harness = try await ServerHarness()
        try await LineClient.with(path: harness.socketPath) { client in
            try await client.send("{\"op\":\"hello\",\"id\":1}\n")
            let v1 = try #require(try await client.reply())
            #expect(v1["v"] as? Int == 1 && (v1["hello"] as? [String: Any])?["version"] as? Int == 1)
            try await client.send("{\"v\":2,\"op\":\"hello\",\"id\":2}\n")
            let v2 = try #require(try await client.reply())
            #expect(v2["v"] as? Int == 2 && (v2["hello"] as? [String: Any])?["version"] as? Int == 2)
            // After the hello the connection speaks 2, also for a request without v.
            try await client.send("{\"op\":\"status\",\"id\":3}\n")
            #expect(try await client.reply()?["v"] as? Int == 2)
            try await client.send("{\"v\":3,\"op\":\"hello\",\"id\":4}\n")
            let v3 = try #require(try await client.reply())
            #expect(v3["v"] as? Int == 3 && (v3["hello"] as? [String: Any])?["version"] as? Int == 3)
            try await client.send("{\"v\":4,\"op\":\"hello\",\"id\":5}\n")
            #expect(try await client.reply()?.errorCode == "unsupported_version")
        }
        await harness.stop()
    }

    @Test("a v2 subscriber gets each event once and compact snapshots; a v1 subscriber beside it gets full ones")
    func subscriptions() async throws {
        let harness = try await ServerHarness()
        harness.pool.audit("before anyone subscribed", cause: .application)
        try await LineClient.with(path: harness.socketPath) { old in
            try await LineClient.with(path: harness.socketPath) { new in
                try await old.send("{\"op\":\"subscribe\",\"interval_ms\":50,\"id\":1}\n")
                #expect(try await old.reply()?["ok"] as? Bool == true)
                try await new.send("{\"v\":2,\"op\":\"hello\",\"id\":1}\n")
                _ = try await new.reply()
                try await new.send("{\"v\":2,\"op\":\"subscribe\",\"interval_ms\":50,\"id\":2}\n")
                #expect(try await new.reply()?["v"] as? Int == 2)
                // Each has its first snapshot (its history) before the event happens.
                let firstV2 = try await Self.collect(new, snapshots: 1)
                let firstV1 = try await Self.collect(old, snapshots: 1)
                harness.pool.audit("while both are subscribed", cause: .application)
                let v2 = try await Self.collect(new, snapshots: 4, afterEvent: 2)
                let v1 = try await Self.collect(old, snapshots: 4, afterEvent: 2)
                #expect(!Self.recentSeqs(firstV2.snapshots[0]).isEmpty)
                #expect(Self.recentSeqs(firstV1.snapshots[0]) == Self.recentSeqs(firstV2.snapshots[0]))
                // Version 2: the event once, on its own line; the snapshots after the first carry none.
                #expect(v2.snapshots.allSatisfy { Self.recentSeqs($0).isEmpty })
                #expect((firstV2.versions.union(v2.versions)) == [2])
                let live = (firstV2.events + v2.events).compactMap { $0["seq"] as? Int }
                #expect(live.count == 1, "v2 events: \(live)")
                // Version 1 is unchanged: every snapshot repeats the recent events, the new one included.
                #expect((firstV1.versions.union(v1.versions)) == [1])
                // (Snapshots queued before the event do not have it; the last one, taken after it, does.)
                #expect(v1.snapshots.last.map { Self.recentSeqs($0).contains(live.first ?? -1) } == true)
                #expect((firstV1.events + v1.events).count == 1)
            }
        }
        await harness.stop()
    }
}
