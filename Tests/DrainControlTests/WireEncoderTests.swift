import Drain
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

    // MARK: One published snapshot, encoded once

    static func published(_ seq: UInt64, events: [DrainEvent]) -> PublishedSnapshot {
        var snapshot = snapshot(events: events)
        // Listed jobs, so version 3's rows are in the bytes compared.
        snapshot.oldestJobs = [
            .init(
                id: 9, kind: "mail", attempt: 2, startedAt: Date(timeIntervalSince1970: 1_700_000_050.25),
                ageSeconds: 49.75, predictedRemainingSeconds: 3.5, pMiss: 0.25, predictionSource: .history),
            .init(
                id: 11, kind: "mail", attempt: 1, startedAt: Date(timeIntervalSince1970: 1_700_000_090), ageSeconds: 10),
        ]
        return PublishedSnapshot(seq: seq, takenAt: .seconds(Int64(seq)), snapshot: snapshot)
    }

    @Test("status replies and pushed lines of a published snapshot are byte for byte the whole message, per version")
    func publishedSameBytes() throws {
        let encoder = WireEncoder()
        let events = [Self.event(1), Self.event(2, message: #"say "recent_events":[] here"#)]
        let published = Self.published(7, events: events)
        for version in ControlProtocol.versions {
            let expect = { (message: ControlMessage) throws -> String in
                let json = JSONEncoder.drain
                json.userInfo[ControlMessage.versionKey] = version
                return String(decoding: try json.encode(message), as: UTF8.self) + "\n"
            }
            for id in [nil, 0, 12_345] {
                #expect(
                    Self.text(encoder.statusLine(id: id, published, version: version))
                        == (try expect(.status(id: id, published.snapshot))))
            }
            #expect(
                Self.text(encoder.pushedLine(published, version: version, form: .first(version: version)))
                    == (try expect(.snapshot(published.snapshot))))
            var withoutEvents = published.snapshot
            if version >= 2 { withoutEvents.recentEvents = [] }
            #expect(
                Self.text(encoder.pushedLine(published, version: version, form: .of(version: version, pushed: true)))
                    == (try expect(.snapshot(withoutEvents))))
        }
    }

    @Test("a published snapshot is encoded once per form however many replies and subscribers read it")
    func publishedEncodedOnce() throws {
        let encoder = WireEncoder()
        let first = Self.published(1, events: [Self.event(1)])
        for id in 0..<100 {
            _ = encoder.statusLine(id: id, first, version: 1)
            _ = encoder.pushedLine(first, version: 1, form: .first(version: 1))
            _ = encoder.pushedLine(first, version: 2, form: .of(version: 2, pushed: true))
        }
        #expect(encoder.snapshotsEncoded == 2)
        // The next tick's snapshot replaces the cache; a reader still holding the older one gets correct
        // bytes, encoded for it alone, and does not evict the newer.
        let second = Self.published(2, events: [Self.event(1), Self.event(2)])
        _ = encoder.statusLine(id: 1, second, version: 1)
        #expect(encoder.snapshotsEncoded == 3)
        let stale = encoder.statusLine(id: 1, first, version: 1)
        #expect(Self.text(stale) == (try Self.whole(.status(id: 1, first.snapshot))))
        #expect(encoder.snapshotsEncoded == 4)
        _ = encoder.statusLine(id: 2, second, version: 1)
        #expect(encoder.snapshotsEncoded == 4)
    }
}
