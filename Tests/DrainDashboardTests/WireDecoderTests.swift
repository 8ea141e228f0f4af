import DrainClient
import DrainProtocol
import Foundation
import Testing

@testable import DrainDashboard

/// The subscription's line decoder: DrainProtocol's own types, in every protocol version; a pushed
/// snapshot with nothing new comes out as the pool's state alone.
@Suite("Wire decoding")
struct WireDecoderTests {
    /// A pushed snapshot line as the server writes it: snake_case keys, ISO 8601 dates, sorted keys.
    static func line(_ snapshot: PoolSnapshot, version: Int = 1) throws -> Data {
        let encoder = JSONEncoder.drain
        encoder.userInfo[ControlMessage.versionKey] = version
        return try encoder.encode(ControlMessage.snapshot(snapshot))
    }

    /// A busy draining snapshot with events and a job without a prediction.
    static func draining() -> PoolSnapshot {
        var s = Fixtures.snapshot(.draining)
        s.drainCause = .client(pid: 77, uid: 1000, reason: "deploy")
        s.inFlightOperations = 2
        s.oldestJobs.append(
            PoolSnapshot.InFlightJob(
                id: 999, kind: "new.kind", ageSeconds: 0.25, predictedRemainingSeconds: nil, attempt: 3))
        s.recentEvents = [
            Fixtures.event(1, .started, "shop started"),
            Fixtures.event(2, .phaseChanged, "drain started by SIGTERM", phase: .draining),
        ]
        return s
    }

    /// The snapshot as the full decoder reads it from the same line.
    static func reference(_ line: Data) throws -> PoolSnapshot {
        try #require(try JSONDecoder.drain.decode(ControlMessage.self, from: line).snapshot)
    }

    // MARK: - Pushed snapshots

    @Test("a pushed snapshot reads the same in v1 and in v3, whose jobs are rows", arguments: [1, 2, 3])
    func versionsMatch(version: Int) throws {
        var snapshot = Self.draining()
        snapshot.oldestJobs[0].pMiss = 0.75
        snapshot.oldestJobs[0].predictionSource = .declared
        let line = try Self.line(snapshot, version: version)
        if version == 3 { #expect(String(decoding: line, as: UTF8.self).contains(#""oldest_jobs":[[100,"#)) }
        var decoder = WireDecoder()
        decoder.lastSeq = 2
        guard case .snapshot(let decoded) = try decoder.decode(line) else {
            Issue.record("a snapshot with no new events is the pool's state")
            return
        }
        #expect(decoded.recentEvents.isEmpty)
        var expected = snapshot
        expected.recentEvents = []
        // Dates go through ISO 8601 (whole seconds) in v1 and v2, seconds since 1970 in v3.
        for index in expected.oldestJobs.indices {
            #expect(
                abs(decoded.oldestJobs[index].startedAt.timeIntervalSince(expected.oldestJobs[index].startedAt)) < 1)
            expected.oldestJobs[index].startedAt = decoded.oldestJobs[index].startedAt
        }
        expected.time = decoded.time
        expected.drainStartedAt = decoded.drainStartedAt
        expected.deadline = decoded.deadline
        #expect(decoded == expected)
        #expect(decoded.drainCause?.description == "drainctl pid 77 uid 1000 (deploy)")
    }

    @Test("a pushed snapshot keeps journal_reachable, so top can say a shared journal is down")
    func journalReachable() throws {
        var snapshot = Self.draining()
        snapshot.journalReachable = false
        var decoder = WireDecoder()
        decoder.lastSeq = 2
        guard case .snapshot(let fast) = try decoder.decode(try Self.line(snapshot)) else {
            Issue.record("expected a pushed snapshot")
            return
        }
        #expect(fast.journalReachable == false)
        #expect(try Self.reference(try Self.line(snapshot)).journalReachable == false)
    }

    @Test("a pushed snapshot keeps waiting_for_rescue, so top can show a shared journal's stranded jobs")
    func waitingForRescue() throws {
        var snapshot = Self.draining()
        snapshot.journalReachable = true
        snapshot.waitingForRescue = 4
        var decoder = WireDecoder()
        decoder.lastSeq = 2
        guard case .snapshot(let fast) = try decoder.decode(try Self.line(snapshot)) else {
            Issue.record("expected a pushed snapshot")
            return
        }
        #expect(fast.waitingForRescue == 4)
        #expect(try Self.reference(try Self.line(snapshot)).waitingForRescue == 4)
    }

    @Test("a snapshot with an event newer than the last one seen is passed on as a message, once")
    func newEventsGoTheFullWay() throws {
        var snapshot = Self.draining()
        var decoder = WireDecoder()
        guard case .message(let first) = try decoder.decode(try Self.line(snapshot)) else {
            Issue.record("expected the full decoder for new events")
            return
        }
        #expect(first.snapshot?.recentEvents.map(\.seq) == [1, 2])
        #expect(decoder.lastSeq == 2)
        guard case .snapshot = try decoder.decode(try Self.line(snapshot)) else {
            Issue.record("the same events again are only the state")
            return
        }
        snapshot.recentEvents.append(Fixtures.event(3, .deadlineChanged, "deadline moved", phase: .draining))
        guard case .message(let third) = try decoder.decode(try Self.line(snapshot)) else {
            Issue.record("expected the full decoder for event 3")
            return
        }
        #expect(third.snapshot?.recentEvents.last?.message == "deadline moved")
        #expect(decoder.lastSeq == 3)
    }

    @Test("a snapshot carrying the shutdown report is passed on as a message, so the banner gets it")
    func reportGoesTheFullWay() throws {
        var snapshot = Fixtures.snapshot(.stopped)
        snapshot.report = try Fixtures.report(.forced, requeued: 4, drainSeconds: 12.5)
        var decoder = WireDecoder()
        decoder.lastSeq = 100
        guard case .message(let message) = try decoder.decode(try Self.line(snapshot)) else {
            Issue.record("expected the full decoder for a report")
            return
        }
        #expect(message.snapshot?.report?.requeued == 4)
    }

    @Test("replies, errors and pushed events are messages")
    func otherLines() throws {
        var decoder = WireDecoder()
        let reply = Data(#"{"id":1,"interval_ms":100,"ok":true,"type":"result","v":1}"#.utf8)
        guard case .message(let message) = try decoder.decode(reply) else {
            Issue.record("expected a message")
            return
        }
        #expect(message.type == .result)
        guard case .connected(let session)? = try Subscription.update(for: .message(message), session: 4) else {
            Issue.record("a result reply means connected")
            return
        }
        #expect(session == 4)
        let refusal = Data(
            #"{"error":{"code":"too_many_clients","message":"64 clients"},"ok":false,"type":"error","v":1}"#.utf8)
        let error = #expect(throws: ControlError.self) {
            try Subscription.update(for: try decoder.decode(refusal), session: 4)
        }
        #expect(error?.code == .refused)
        #expect(error?.message == "too_many_clients: 64 clients")
    }

    @Test("other key orders, spaces and unknown keys read as the encoder's own lines do")
    func fastPathIsLenient() throws {
        let compact = try Self.line(Self.draining())
        var object = try #require(try JSONSerialization.jsonObject(with: compact) as? [String: Any])
        var body = try #require(object["snapshot"] as? [String: Any])
        body["from_the_future"] = ["nested": [1, 2.5, true, NSNull(), "x\\\"y"]]
        object["snapshot"] = body
        let spaced = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted])
        var decoder = WireDecoder()
        decoder.lastSeq = 2
        guard case .snapshot(let fast) = try decoder.decode(spaced) else {
            Issue.record("expected a pushed snapshot")
            return
        }
        let full = try Self.reference(compact)
        #expect(fast.oldestJobs.map(\.id) == full.oldestJobs.map(\.id))
        #expect(fast.inFlightAtDrainStart == full.inFlightAtDrainStart && fast.secondsLeft == full.secondsLeft)
    }

    @Test("an escaped string is read as written; a missing key is a protocol violation")
    func escapesAndMissingKeys() throws {
        var snapshot = Self.draining()
        snapshot.oldestJobs[0].kind = "report \"weekly\""
        var decoder = WireDecoder()
        decoder.lastSeq = 2
        guard case .snapshot(let decoded) = try decoder.decode(try Self.line(snapshot, version: 3)) else {
            Issue.record("expected a pushed snapshot")
            return
        }
        #expect(decoded.oldestJobs.first?.kind == "report \"weekly\"")
        let line = String(decoding: try Self.line(Self.draining()), as: UTF8.self)
        let withoutQueued = line.replacingOccurrences(of: "\"queued\":0,", with: "")
        #expect(withoutQueued != line)
        let error = #expect(throws: ControlError.self) { try decoder.decode(Data(withoutQueued.utf8)) }
        #expect(error?.code == .protocolViolation)
    }

    // MARK: - Not the protocol

    @Test(
        "a line that is not protocol v1 is a protocol violation quoting its start",
        arguments: [
            "HTTP/1.1 400 Bad Request\r",
            #"{"v":1,"type":"snapshot","snapshot":{"name":42}}"#,
            #"{"v":1,"type":"telepathy"}"#,
            "\u{1}\u{2}binary",
        ])
    func violations(text: String) throws {
        var decoder = WireDecoder()
        let error = #expect(throws: ControlError.self) { try decoder.decode(Data(text.utf8)) }
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("not protocol v1") == true)
        #expect(error?.message.hasSuffix(WireDecoder.excerpt(Data(text.utf8))) == true)
    }

    @Test("the quoted start of a bad line is printable and cut at 48 bytes")
    func excerpt() {
        #expect(WireDecoder.excerpt(Data("\u{1}\u{2}binary\r".utf8)) == "“??binary?”")
        let long = WireDecoder.excerpt(Data(String(repeating: "x", count: 100).utf8))
        #expect(long == "“" + String(repeating: "x", count: 48) + "…”")
    }
}
