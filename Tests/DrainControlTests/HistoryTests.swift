import Drain
import DrainClient
import DrainSQLite
import DrainTestSupport
import Foundation
import Testing

@testable import DrainControl

/// `history` against a live server whose pool has a real SQLite journal: the drains it keeps, read off the
/// event loop, answered in request order; and a pool whose journal keeps no history.
@Suite("the history operation", .timeLimit(.minutes(5)))
struct HistoryTests {
    /// A clean drain of `name`, stopped `minutesAgo` minutes ago, with `lanes` lanes.
    static func report(_ name: String, minutesAgo: Double, lanes: Int = 1) -> ShutdownReport {
        let stopped = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - minutesAgo * 60).rounded())
        let start = stopped.addingTimeInterval(-2)
        return ShutdownReport(
            outcome: .clean, name: name, pid: 4242, drainStartedAt: start, stoppedAt: stopped, drainSeconds: 2,
            graceSeconds: 30, inFlightAtDrainStart: 1, completed: 1, failed: 0, cancelled: 0, requeued: 0,
            recovered: 0, rejected: 0, queued: 0, jobs: [],
            timeline: DrainTimeline(
                drainStartedAt: start, deadlines: [.init(at: start, deadline: start.addingTimeInterval(30))],
                lanes: (0..<lanes).map {
                    .init(id: JobID(7 + $0), kind: "email.send", startedAt: start, endedAt: stopped, fate: .done)
                }))
    }

    /// A server on a journal that already keeps three drains (`first`, `second`, `third`, oldest first).
    static func serverWithHistory() async throws -> ServerHarness {
        try await ServerHarness(history: [
            report("first", minutesAgo: 3), report("second", minutesAgo: 2), report("third", minutesAgo: 1),
        ])
    }

    /// Runs `body` on the harness's socket with an async client (no blocking read on the test's threads,
    /// which the server's history reads share), then stops the harness, whatever `body` did.
    static func with(
        _ harness: ServerHarness, _ body: (ControlClient) async throws -> Void
    ) async throws {
        do {
            try await ControlClient.withConnection(path: harness.socketPath, body)
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }

    /// The error `body` throws, if it is a ``ControlError``.
    static func refusal(_ body: () async throws -> Void) async -> ControlError? {
        do {
            try await body()
        } catch let error as ControlError {
            return error
        } catch {
            Issue.record("not a ControlError: \(error)")
            return nil
        }
        Issue.record("no error")
        return nil
    }

    @Test("history answers the newest drains first, and one drain by drain_id, each naming its ID")
    func listsAndReadsOne() async throws {
        let harness = try await Self.serverWithHistory()
        try await Self.with(harness) { client in
            let newest = try await client.history(limit: 2)
            #expect(newest.map(\.report.name) == ["third", "second"])
            #expect(newest.map(\.id) == [3, 2])
            #expect(newest.map(\.report.historyID) == [3, 2])
            #expect(try await client.history().map(\.id) == [3, 2, 1])
            let one = try await client.history(drainID: 1)
            #expect(one.map(\.report.name) == ["first"])
            #expect(one.first?.report.timeline?.lanes.map(\.id) == [7])
            let counted = try harness.metrics.expectCounter(
                "drain_control_requests_total", [("pool", "fuzz"), ("op", "history")])
            #expect(counted.totalValue == 3)
        }
    }

    @Test("a drain the history does not keep is not_found; a limit or drain_id out of range is invalid_argument")
    func badRequests() async throws {
        let harness = try await Self.serverWithHistory()
        try await Self.with(harness) { client in
            let missing = await Self.refusal { _ = try await client.history(drainID: 99) }
            #expect(missing?.serverCode == "not_found")
            #expect(missing?.message.contains("no drain 99") == true, "\(missing?.message ?? "")")
            for limit in [0, 101] {
                let refused = await Self.refusal { _ = try await client.history(limit: limit) }
                #expect(refused?.serverCode == "invalid_argument")
            }
            let zero = await Self.refusal { _ = try await client.history(drainID: 0) }
            #expect(zero?.serverCode == "invalid_argument")
            // The connection still answers after each error.
            let newest = try await client.history(limit: 1)
            #expect(newest.map(\.id) == [3])
        }
    }

    @Test("a journal that keeps no drain history answers no_history, not an empty list")
    func noHistory() async throws {
        let harness = try await ServerHarness(keepsHistory: false)
        try await Self.with(harness) { client in
            let refused = await Self.refusal { _ = try await client.history() }
            #expect(refused?.serverCode == "no_history")
            #expect(refused?.message.contains("keeps no drain history") == true)
        }
    }

    @Test("requests pipelined behind a history are answered after it, in order, and a half-close gets them all")
    func pipelinedInOrder() async throws {
        let harness = try await Self.serverWithHistory()
        do {
            try await pipeline(harness)
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }

    private func pipeline(_ harness: ServerHarness) async throws {
        try await LineClient.with(path: harness.socketPath) { client in
            try await client.send(
                """
                {"op":"history","id":1}
                {"op":"status","id":2}
                {"op":"history","id":3,"drain_id":2}
                {"op":"history","id":4,"limit":0}
                {"op":"hello","id":5}

                """)
            try await client.finishSending()
            var replies: [[String: Any]] = []
            while let reply = try await client.reply() { replies.append(reply) }
            #expect(replies.compactMap { $0["id"] as? Int } == [1, 2, 3, 4, 5])
            #expect((replies[0]["drains"] as? [Any])?.count == 3)
            #expect(replies[1]["snapshot"] != nil)
            #expect(((replies[2]["drains"] as? [[String: Any]])?.first)?["id"] as? Int == 2)
            #expect(replies[3].errorCode == "invalid_argument")
            #expect(replies[4]["hello"] != nil)
        }
        try await eventually("the connection released") { harness.server.connectionCount == 0 }
    }

    @Test("a history answer larger than the socket's buffer is taken before the requests behind it are answered")
    func largeAnswerThenPipelined() async throws {
        // Twelve drains of 500 lanes each (a timeline's most): a line of about a megabyte, which no socket
        // buffer holds at once. Few drains, since each is kept with a durable write.
        let history = (0..<12).map { Self.report("big-\($0)", minutesAgo: Double(12 - $0), lanes: 500) }
        let harness = try await ServerHarness(history: history)
        do {
            try await LineClient.with(path: harness.socketPath) { client in
                try await client.send("{\"op\":\"history\",\"id\":1,\"limit\":100}\n{\"op\":\"status\",\"id\":2}\n")
                let first = try #require(try await client.reply())
                #expect((first["drains"] as? [Any])?.count == 12)
                let second = try #require(try await client.reply(), "the connection was closed behind the answer")
                #expect(second["id"] as? Int == 2 && second["snapshot"] != nil, "\(second)")
            }
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }

    @Test("a connection waiting for its history answer is not idle, and one that has it counts idle from then")
    func awaitingIsNotIdle() {
        let second: UInt64 = 1_000_000_000
        var waiting = ControlOutbox.Activity(lastRequest: 0, subscribed: false, awaitingReply: true)
        #expect(
            ControlOutbox.watchdogVerdict(waiting, now: 60 * second, writeTimeout: 2 * second, idleTimeout: 10 * second)
                == nil)
        #expect(ControlOutbox.awaitsFinalLines(waiting, now: 60 * second, recent: second))
        waiting.awaitingReply = false
        #expect(
            ControlOutbox.watchdogVerdict(waiting, now: 60 * second, writeTimeout: 2 * second, idleTimeout: 10 * second)
                == .idleTimeout)
    }
}
