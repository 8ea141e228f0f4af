import DrainProtocol
import Foundation
import NIOCore
import Testing

@testable import DrainControl

/// The server's lines splice cached event bytes into snapshots; they must be exactly what encoding the
/// whole message writes, and each event must be encoded once however many lines carry it.
@Suite("wire encoder")
struct WireEncoderTests {
    static func event(_ seq: Int, message: String = "drain started") -> DrainEvent {
        DrainEvent(
            seq: seq, time: Date(timeIntervalSince1970: 1_700_000_000 + Double(seq)), kind: .phaseChanged,
            phase: .draining, cause: .client(pid: 7, uid: 1000, reason: "deploy"), message: message,
            graceSeconds: 30)
    }

    static func snapshot(events: [DrainEvent]) -> PoolSnapshot {
        var snapshot = PoolSnapshot(
            name: "shop", pid: 42, phase: .draining, time: Date(timeIntervalSince1970: 1_700_000_100))
        snapshot.recentEvents = events
        snapshot.drainCause = .client(pid: 7, uid: 1000, reason: "deploy")
        return snapshot
    }

    static func text(_ buffer: ByteBuffer?) -> String? { buffer.map { String(buffer: $0) } }

    static func whole(_ message: ControlMessage) throws -> String {
        String(decoding: try JSONEncoder.drain.encode(message), as: UTF8.self) + "\n"
    }

    @Test("status replies, pushed snapshots and events are byte for byte what encoding the whole message gives")
    func sameBytes() throws {
        let encoder = WireEncoder()
        // A reason that spells the key being replaced: it must stay inside its string.
        let events = [
            Self.event(1), Self.event(2, message: #"say "recent_events":[] here"#), Self.event(3),
        ]
        for message in [
            ControlMessage.status(id: 4, Self.snapshot(events: events)), .snapshot(Self.snapshot(events: events)),
            .snapshot(Self.snapshot(events: [])), .event(events[1]), .subscribed(id: 1, intervalMs: 100),
            .failure(id: nil, .badJSON, "the line is not valid JSON"),
        ] {
            #expect(Self.text(encoder.line(message)) == (try Self.whole(message)))
        }
    }

    @Test("an event carried by many lines is encoded once")
    func encodedOnce() throws {
        let encoder = WireEncoder()
        let events = (1...3).map { Self.event($0) }
        for _ in 0..<10 {
            _ = encoder.line(.status(id: 1, Self.snapshot(events: events)))
            _ = encoder.line(.snapshot(Self.snapshot(events: events)))
        }
        for event in events { _ = encoder.line(.event(event)) }
        #expect(encoder.eventsEncoded == 3)
    }
}
