import DrainTestSupport
import Foundation
import Testing

@testable import DrainControl

extension TimingSensitive {
    /// Subscriptions: one snapshot per tick shared by all, and gone or stalled subscribers cost nothing.
    @Suite("subscriber fan-out", .timeLimit(.minutes(5)))
    struct FanoutTests {
        @Test("subscribers of one interval get the same snapshot each tick, not one snapshot each")
        func oneSnapshotPerTick() async throws {
            let harness = try await ServerHarness()
            let uptimes = try await withThrowingTaskGroup(of: [Double].self) { group in
                for _ in 0..<40 {
                    group.addTask {
                        try await LineClient.with(path: harness.socketPath) { client in
                            try await client.send("{\"op\":\"subscribe\",\"interval_ms\":100}\n")
                            var seen: [Double] = []
                            var first = true
                            while seen.count < 4, let line = try await client.next() {
                                guard line["type"] as? String == "snapshot" else { continue }
                                // The first snapshot is taken for this subscriber alone, at subscribe time.
                                if first { first = false; continue }
                                if let uptime = (line["snapshot"] as? [String: Any])?["uptime_seconds"] as? Double {
                                    seen.append(uptime)
                                }
                            }
                            return seen
                        }
                    }
                }
                return try await group.reduce(into: [Double]()) { $0 += $1 }
            }
            await harness.stop()
            #expect(uptimes.count == 160)
            // 40 subscribers × 4 ticks: one snapshot per subscriber per tick would make every one distinct.
            // Shared ticks make each snapshot reach many subscribers; on a loaded machine the subscribers
            // join over more ticks, so the bound is on the sharing, not on a count of ticks.
            #expect(uptimes.count >= 3 * Set(uptimes).count, "distinct snapshots: \(Set(uptimes).count)")
        }

        @Test("a subscriber that disconnects releases its slot and its ticker at once")
        func goneSubscriber() async throws {
            let harness = try await ServerHarness()
            try await LineClient.with(path: harness.socketPath) { client in
                try await client.send("{\"op\":\"subscribe\",\"interval_ms\":60000}\n")
                _ = try await client.reply()
                try await eventually("subscribed") { harness.server.fanout.count == 1 }
            }
            // Half the ticker's 60 s: released when the client goes, not when the next tick finds it gone.
            // (A tighter bound measured the machine: beside two hogs a condition can take many seconds.)
            try await eventually(timeout: .seconds(30), "the slot released") {
                harness.server.connectionCount == 0 && harness.server.fanout.count == 0
            }
            await harness.stop()
        }

        /// The bound is the write timeout, not a time the machine must keep: a fan-out that waited on the
        /// stalled socket would hold the others for that long, while a loaded machine (two hogs beside the
        /// whole suite) has shown gaps of up to a second with nothing held.
        @Test("a stalled subscriber is dropped and never delays the others' snapshots")
        func stalledSubscriber() async throws {
            let writeTimeout = Duration.seconds(3)
            let harness = try await ServerHarness(concurrency: 64) { $0.writeTimeout = writeTimeout }
            // Fifty long jobs in flight make each snapshot several KiB, so the stalled socket fills in a second.
            for _ in 0..<60 { try await harness.pool.submit(kind: "sleep", payload: Data([255])) }
            // The stalled client stays connected until the server has dropped it, and the other reads on
            // until twenty snapshots after that: signals, not fixed times.
            let (dropped, noteDropped) = AsyncStream<Void>.makeStream()
            let droppedSeen = Counter()
            // The reader subscribes first: two subscribers in the fan-out then means both are in.
            let (readerIn, noteReaderIn) = AsyncStream<Void>.makeStream()
            let gaps = try await withThrowingTaskGroup(of: [Duration].self) { group in
                group.addTask {
                    try await LineClient.with(path: harness.socketPath, reading: false) { stalled in
                        for await _ in readerIn {}
                        try await stalled.send("{\"op\":\"subscribe\",\"interval_ms\":50}\n")
                        for await _ in dropped {}
                        return []
                    }
                }
                group.addTask {
                    try await LineClient.with(path: harness.socketPath) { client in
                        try await client.send("{\"op\":\"subscribe\",\"interval_ms\":50}\n")
                        var gaps: [Duration] = []
                        var afterDrop = 0
                        var last = ContinuousClock.now
                        while afterDrop < 20, let line = try await client.next() {
                            guard line["type"] as? String == "snapshot" else { continue }
                            noteReaderIn.finish()
                            gaps.append(ContinuousClock.now - last)
                            last = ContinuousClock.now
                            if droppedSeen.value > 0 { afterDrop += 1 }
                        }
                        return gaps
                    }
                }
                // Both subscribed first: until then one connection could as well be the stalled one not yet in.
                try await eventually("both subscribed") { harness.server.fanout.count == 2 }
                // Its socket buffer (~200 KiB) and NIO's fill first, then one write waits past the timeout.
                try await eventually("the stalled subscriber dropped") { harness.server.connectionCount == 1 }
                droppedSeen.add(1)
                noteDropped.finish()
                return try await group.reduce(into: [Duration]()) { $0 += $1 }
            }
            await harness.stop()
            #expect(gaps.count > 20)
            #expect(gaps.dropFirst().max()! < writeTimeout, "longest gap \(gaps.max()!)")
        }

        @Test("a connection that opens and sends nothing is closed after the idle timeout, told so in its last line")
        func idleConnection() async throws {
            let harness = try await ServerHarness { $0.idleTimeout = .milliseconds(400) }
            let start = ContinuousClock.now
            let (line, after) = try await LineClient.with(path: harness.socketPath) {
                (try await $0.next(), try await $0.next())
            }
            let waited = ContinuousClock.now - start
            await harness.stop()
            #expect(line?.errorCode == "idle_timeout", "\(String(describing: line))")
            #expect(after == nil, "the close follows the reason: \(String(describing: after))")
            // Not before the timeout: an upper bound would only measure this machine's load.
            #expect(waited >= .milliseconds(350), "closed after \(waited)")
        }
    }
}
