import Drain
import DrainProtocol
import DrainTestSupport
import Foundation
import NIOCore
import Testing

@testable import DrainControl

/// A connection the server ends on purpose gets a last line saying why (an error with a stable code),
/// then a clean end of file: never a reset, even when the client's own request is still unread.
///
/// Not among the ``TimingSensitive`` suites: every expectation here is a reason or an end of file, and
/// every wait a condition, so these may run beside the 1,000-client storm.
@Suite("connections closed on purpose", .timeLimit(.minutes(5)))
struct CloseReasonTests {
    /// Reads the next line and then the end: the reason, and proof that no reset followed it (a reset
    /// throws from `next()`).
    static func lastLine(_ client: LineClient) async throws -> [String: Any]? {
        let line = try await client.next()
        let after = try await client.next()
        #expect(after == nil, "the line that says why is the last: \(String(describing: after))")
        return line
    }

    @Test("over the client limit: too_many_clients, even with the client's request still unread")
    func tooManyClients() async throws {
        let harness = try await ServerHarness { $0.maxClients = 1 }
        try await LineClient.with(path: harness.socketPath) { first in
            try await first.send("{\"op\":\"hello\"}\n")
            try #require(try await first.reply()?["ok"] as? Bool == true)
            let line = try await LineClient.with(path: harness.socketPath) { second in
                // Unread by the server when it refuses: closing on it would reset this connection.
                try await second.send("{\"op\":\"status\"}\n{\"op\":\"status\"}\n")
                return try await Self.lastLine(second)
            }
            #expect(line?.errorCode == "too_many_clients", "\(String(describing: line))")
        }
        await harness.stop()
    }

    @Test("a connection ended on purpose closes when its client does, not at the end of the linger")
    func closesWithItsClient() async throws {
        let harness = try await ServerHarness {
            $0.idleTimeout = .milliseconds(200)
            $0.closeLinger = .seconds(60)
        }
        let line = try await LineClient.with(path: harness.socketPath) { try await Self.lastLine($0) }
        #expect(line?.errorCode == "idle_timeout", "\(String(describing: line))")
        // Well inside the 60 s linger: the server closed because the client did.
        try await eventually("the connection closed") {
            harness.server.connectionCount == 0 && harness.server.accepted.count == 0
        }
        await harness.stop()
    }

    @Test("a request line over the limit: line_too_long, though the client sends on after it")
    func lineTooLong() async throws {
        let harness = try await ServerHarness { $0.maxLineBytes = 1024 }
        let line = try await LineClient.with(path: harness.socketPath) { client in
            try await client.send("{\"op\":\"hello\"}\n")
            _ = try await client.reply()
            try await client.send(Array(repeating: UInt8(ascii: "a"), count: 4096) + Array("\n{}\n".utf8))
            return try await Self.lastLine(client)
        }
        #expect(line?.errorCode == "line_too_long", "\(String(describing: line))")
        await harness.stop()
    }

    @Test("a subscriber that stops reading: slow_client, read once it reads again within the linger")
    func slowClient() async throws {
        let harness = try await ServerHarness(concurrency: 64) {
            $0.writeTimeout = .milliseconds(300)
            $0.maxPendingLines = 8
            $0.closeLinger = .seconds(30)
        }
        // Fifty jobs in flight make each snapshot several KiB, so the stalled socket fills in a second.
        for _ in 0..<60 { try await harness.pool.submit(kind: "sleep", payload: Data([255])) }
        let lines = try await LineClient.with(path: harness.socketPath, reading: false) { client in
            try await client.send("{\"op\":\"subscribe\",\"interval_ms\":50}\n")
            // Dropped: out of the fan-out, though its connection lingers for the reason to be read.
            try await eventually("the subscriber dropped") {
                harness.server.connections.withLock { $0.values.first.map { !$0.isOpen } ?? false }
            }
            try await client.channel.setOption(ChannelOptions.autoRead, value: true).get()
            var lines: [[String: Any]] = []
            while let line = try await client.next() { lines.append(line) }
            return lines
        }
        #expect(lines.last?.errorCode == "slow_client", "\(String(describing: lines.last))")
        #expect(lines.dropLast().allSatisfy { $0["type"] as? String != "error" })
        await harness.stop()
    }

    @Test("the server stopping: server_stopping for a connection still open")
    func serverStopping() async throws {
        let harness = try await ServerHarness()
        let line = try await LineClient.with(path: harness.socketPath) { client in
            try await client.send("{\"op\":\"hello\"}\n")
            _ = try await client.reply()
            harness.pool.force()
            return try await Self.lastLine(client)
        }
        #expect(line?.errorCode == "server_stopping", "\(String(describing: line))")
        await harness.stop()
    }

    /// The watchdog's rule without a clock. A line written, or a request read, after the watchdog read
    /// `now` used to wrap the unsigned subtraction to 2^64 ns: a busy connection was closed as stalled
    /// or idle (the operator reset in the 1,000-client test; `top`'s lost subscription).
    @Test("the watchdog never takes a line or a request newer than its clock for an old one")
    func watchdogRule() {
        let second: UInt64 = 1_000_000_000
        func verdict(writeStarted: UInt64? = nil, lastRequest: UInt64 = 0, subscribed: Bool = false, now: UInt64)
            -> WireErrorCode?
        {
            ControlOutbox.watchdogVerdict(
                .init(writeStarted: writeStarted, lastRequest: lastRequest, subscribed: subscribed), now: now,
                writeTimeout: 2 * second, idleTimeout: 10 * second)
        }
        let now = 100 * second
        #expect(verdict(writeStarted: now + 1, lastRequest: now, now: now) == nil)
        #expect(verdict(lastRequest: now + 1, now: now) == nil)
        #expect(verdict(writeStarted: now - 3 * second, lastRequest: now, now: now) == .slowClient)
        #expect(verdict(writeStarted: now - second, lastRequest: 0, now: now) == nil)
        #expect(verdict(lastRequest: now - 11 * second, now: now) == .idleTimeout)
        #expect(verdict(lastRequest: now - 11 * second, subscribed: true, now: now) == nil)
        #expect(verdict(lastRequest: now - 9 * second, now: now) == nil)
        // Not yet admitted: its requests wait on the server, which a storm can slow; not idleness.
        #expect(
            ControlOutbox.watchdogVerdict(
                .init(writeStarted: nil, lastRequest: 0, subscribed: false, answering: false), now: now,
                writeTimeout: 2 * second, idleTimeout: 10 * second) == nil)
    }
}
