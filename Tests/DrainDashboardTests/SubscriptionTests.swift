import DrainClient
import DrainProtocol
import DrainTestSupport
import Foundation
import Testing

@testable import DrainDashboard

/// One subscription against a scripted server: what it asks for, and what reaches the screen's inbox.
@Suite("Subscription", .timeLimit(.minutes(5)))
struct SubscriptionTests {
    /// Everything `inbox` received until `done` says enough.
    static func collect(_ inbox: Inbox, until done: ([FeedUpdate]) -> Bool) async throws -> [FeedUpdate] {
        var updates: [FeedUpdate] = []
        try await eventually("the updates the test waits for") {
            updates += inbox.take()
            return done(updates)
        }
        return updates
    }

    static func snapshots(_ updates: [FeedUpdate]) -> [PoolSnapshot] {
        updates.compactMap { update in
            if case .snapshot(let snapshot, session: 1) = update { return snapshot }
            return nil
        }
    }

    @Test("the subscribe request is DrainProtocol's, in version 3, in the one JSON dialect")
    func request() throws {
        let bytes = try Subscription.request(intervalMs: 100, version: ControlProtocol.latestVersion)
        #expect(bytes.last == UInt8(ascii: "\n"))
        let text = String(decoding: bytes.dropLast(), as: UTF8.self)
        #expect(text == #"{"id":1,"interval_ms":100,"op":"subscribe","v":3}"#)
        let request = try JSONDecoder.drain.decode(ControlRequest.self, from: Data(bytes.dropLast()))
        #expect(request == ControlRequest(op: .subscribe, id: 1, intervalMs: 100, version: 3))
        let old = try Subscription.request(intervalMs: 500, version: 1)
        #expect(String(decoding: old, as: UTF8.self) == "{\"id\":1,\"interval_ms\":500,\"op\":\"subscribe\",\"v\":1}\n")
    }

    @Test("a server that speaks only v1 refuses v3 and v2; the subscription asks one version lower each time and works")
    func versionOneServer() async throws {
        let sandbox = try Sandbox()
        let path = sandbox.root + "/old.4242.sock"
        var sent = Fixtures.snapshot(.running)
        sent.recentEvents = [Fixtures.event(1, .started, "shop started")]
        let snapshot = String(decoding: try JSONEncoder.drain.encode(ControlMessage.snapshot(sent)), as: UTF8.self)
        let refusal =
            #"{"error":{"code":"unsupported_version","message":"protocol version 2 is not supported"},"ok":false,"type":"error","v":1}"#
        let server = try FakeServer(
            path: path,
            replies: [
                refusal + "\n",
                refusal + "\n",
                #"{"id":1,"interval_ms":100,"ok":true,"type":"result","v":1}"# + "\n" + snapshot + "\n",
            ])
        let inbox = Inbox()
        let subscription = Subscription(
            ProcessEntry(name: "old", pid: 4242, path: path), session: 1, interval: .milliseconds(100), inbox: inbox
        ) {}
        let updates = try await Self.collect(inbox) { !Self.snapshots($0).isEmpty }
        subscription.cancel()
        #expect(Self.snapshots(updates).first?.recentEvents.map(\.message) == ["shop started"])
        #expect(Self.snapshots(updates).first?.oldestJobs.map(\.id) == sent.oldestJobs.map(\.id))
        #expect(!updates.contains { if case .ended = $0 { true } else { false } }, "\(updates)")
        #expect(
            server.requests == [
                #"{"id":1,"interval_ms":100,"op":"subscribe","v":3}"#,
                #"{"id":1,"interval_ms":100,"op":"subscribe","v":2}"#,
                #"{"id":1,"interval_ms":100,"op":"subscribe","v":1}"#,
            ])
    }

    @Test("a refusal other than the version ends the subscription with the server's code and message")
    func refused() async throws {
        let sandbox = try Sandbox()
        let path = sandbox.root + "/full.4242.sock"
        let server = try FakeServer(
            path: path,
            replies: [
                #"{"error":{"code":"too_many_clients","message":"64 clients"},"ok":false,"type":"error","v":2}"# + "\n"
            ])
        let inbox = Inbox()
        let subscription = Subscription(
            ProcessEntry(name: "full", pid: 4242, path: path), session: 1, interval: .milliseconds(100), inbox: inbox
        ) {}
        let updates = try await Self.collect(inbox) { $0.contains { if case .ended = $0 { true } else { false } } }
        subscription.cancel()
        let ended = updates.compactMap { update -> String? in
            if case .ended(session: 1, let error) = update { return error }
            return nil
        }
        #expect(ended == ["too_many_clients: 64 clients"])
        #expect(server.requests.count == 1)
    }

    @Test("a live subscription the server closes, the process still answering: it connects again, no loss reported")
    func reconnects() async throws {
        let sandbox = try Sandbox()
        let path = sandbox.root + "/alive.4242.sock"
        let snapshot = String(
            decoding: try JSONEncoder.drain.encode(ControlMessage.snapshot(Fixtures.snapshot(.running))), as: UTF8.self)
        let reason =
            #"{"error":{"code":"slow_client","message":"no line taken for 2 seconds; closing"},"ok":false,"type":"error","v":2}"#
        let subscribed = #"{"id":1,"interval_ms":100,"ok":true,"type":"result","v":2}"# + "\n" + snapshot + "\n"
        let server = try FakeServer(path: path, replies: [subscribed], first: [subscribed + reason + "\n"])
        let inbox = Inbox()
        let subscription = Subscription(
            ProcessEntry(name: "alive", pid: 4242, path: path), session: 1, interval: .milliseconds(100), inbox: inbox
        ) {}
        // Two subscribes (the second on the new connection) and the notice that says so.
        let updates = try await Self.collect(inbox) { updates in
            updates.contains {
                if case .commandResult(let text, _) = $0 { text.contains("reconnected") } else { false }
            }
        }
        subscription.cancel()
        #expect(server.requests.count == 2, "\(server.requests)")
        #expect(!updates.contains { if case .ended = $0 { true } else { false } }, "\(updates)")
        let notice = updates.compactMap { update -> String? in
            if case .commandResult(let text, ok: true) = update { return text }
            return nil
        }
        #expect(notice == ["reconnected to alive (pid 4242) after: slow_client: no line taken for 2 seconds; closing"])
    }

    @Test("a live subscription whose process is gone (the socket refuses): the loss is reported")
    func goneForGood() async throws {
        let sandbox = try Sandbox()
        let path = sandbox.root + "/gone.4242.sock"
        let snapshot = String(
            decoding: try JSONEncoder.drain.encode(ControlMessage.snapshot(Fixtures.snapshot(.running))), as: UTF8.self)
        var server: FakeServer? = try FakeServer(
            path: path,
            replies: [#"{"id":1,"interval_ms":100,"ok":true,"type":"result","v":2}"# + "\n" + snapshot + "\n"])
        let inbox = Inbox()
        let subscription = Subscription(
            ProcessEntry(name: "gone", pid: 4242, path: path), session: 1, interval: .milliseconds(100), inbox: inbox
        ) {}
        _ = try await Self.collect(inbox) { !Self.snapshots($0).isEmpty }
        // The server's thread closes the listener and the held connection, and removes the socket file.
        server = nil
        let updates = try await Self.collect(inbox) { $0.contains { if case .ended = $0 { true } else { false } } }
        subscription.cancel()
        withExtendedLifetime(server) {}
        #expect(updates.contains { if case .ended(session: 1, _) = $0 { true } else { false } }, "\(updates)")
    }
}
