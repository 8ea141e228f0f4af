import Drain
import DrainProtocol
import NIOCore
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Encodes the server's lines: each published snapshot once per form, each event once.
///
/// The pool publishes one snapshot per tick (``PublishedSnapshot``). Its JSON body is made here once per
/// form a version needs (with or without the recent events), kept while it is the latest, and wrapped
/// for each `status` reply (whose `id` differs) and each pushed line (the same bytes for every subscriber
/// of a version). So a `status` costs a copy of bytes, whatever is in flight; `JSONEncoder` runs once per
/// tick, which is why sorting keys (the one dialect, `WireJSON`) is no longer worth avoiding.
///
/// Every `status` reply and pushed snapshot carries the recent events, and every event is also pushed
/// on its own: encoded naively, one event is encoded again for every reply until it ages out. Here an
/// event's JSON is made once, kept by `seq`, and spliced into the snapshots and event lines that carry
/// it. The bytes are exactly what `JSONEncoder.drain` would write for the whole message.
final class WireEncoder: Sendable {
    private struct Cache {
        var bySeq: [Int: [UInt8]] = [:]
        var encoded = 0
    }

    /// How a snapshot's body is written.
    struct SnapshotForm: Hashable, Sendable {
        /// The recent events: in `status` replies and the first pushed snapshot; left out of the pushed
        /// snapshots of version 2 on, which push each event on its own.
        var events: Bool
        /// Listed jobs as rows (version 3 on) rather than objects.
        var rows: Bool

        /// The form of a `status` reply (`pushed` false) or a pushed snapshot after the first, in `version`.
        static func of(version: Int, pushed: Bool) -> SnapshotForm {
            SnapshotForm(events: !pushed || version < 2, rows: version >= 3)
        }

        /// A subscription's first snapshot: its history, so it carries the recent events.
        static func first(version: Int) -> SnapshotForm { of(version: version, pushed: false) }
    }

    /// What a request is answered with: a message, the pool's published snapshot (whose bytes are cached),
    /// or a line already encoded off the event loop (a `history` reply, see ``HistoryReads``).
    enum Answer: Sendable {
        case message(ControlMessage)
        case status(id: Int?, PublishedSnapshot)
        case line(ByteBuffer)
    }

    /// The latest snapshot's bodies, by form, and its pushed lines, by version and form.
    private struct Bodies {
        var seq: UInt64 = 0
        var forms: [SnapshotForm: [UInt8]] = [:]
        var pushed: [PushedKey: ByteBuffer] = [:]
        var encoded = 0
    }

    private struct PushedKey: Hashable {
        var version: Int
        var form: SnapshotForm
    }

    private let bodies = Mutex(Bodies())

    /// How many events' bytes are kept: more than a snapshot carries, so a reply finds them all.
    private let capacity: Int
    private let cache = Mutex(Cache())
    private static let emptyEvents = Array(#""recent_events":[]"#.utf8)

    init(capacity: Int = 256) { self.capacity = capacity }

    /// How many events have been encoded so far (not served from the cache), for tests.
    var eventsEncoded: Int { cache.withLock { $0.encoded } }

    /// How many snapshot bodies have been encoded (not served from the cache), for tests.
    var snapshotsEncoded: Int { bodies.withLock { $0.encoded } }

    /// One wire line for an answer, in `version`.
    func line(_ answer: Answer, version: Int) -> ByteBuffer? {
        switch answer {
        case .message(let message): line(message, version: version)
        case .status(let id, let published): statusLine(id: id, published, version: version)
        case .line(let line): line
        }
    }

    /// A `status` reply with the published snapshot: its cached body, wrapped with this request's `id`.
    /// Byte for byte what encoding ``ControlMessage/status(id:_:)`` writes (keys sorted: id, ok,
    /// snapshot, type, v).
    func statusLine(id: Int?, _ published: PublishedSnapshot, version: Int = ControlProtocol.version) -> ByteBuffer? {
        guard let body = body(published, .of(version: version, pushed: false)) else { return nil }
        let head = id.map { #"{"id":\#($0),"ok":true,"snapshot":"# } ?? #"{"ok":true,"snapshot":"#
        let tail = #","type":"result","v":\#(version)}"# + "\n"
        var buffer = ByteBuffer()
        buffer.reserveCapacity(head.utf8.count + body.count + tail.utf8.count)
        buffer.writeString(head)
        buffer.writeBytes(body)
        buffer.writeString(tail)
        return buffer
    }

    /// A pushed snapshot line: made once per snapshot, version and form, then the same bytes for every
    /// subscriber.
    func pushedLine(_ published: PublishedSnapshot, version: Int, form: SnapshotForm) -> ByteBuffer? {
        let key = PushedKey(version: version, form: form)
        if let hit = bodies.withLock({ $0.seq == published.seq ? $0.pushed[key] : nil }) { return hit }
        guard let body = body(published, form) else { return nil }
        var buffer = ByteBuffer()
        let tail = #","type":"snapshot","v":\#(version)}"# + "\n"
        buffer.reserveCapacity(12 + body.count + tail.utf8.count)
        buffer.writeString(#"{"snapshot":"#)
        buffer.writeBytes(body)
        buffer.writeString(tail)
        bodies.withLock { if $0.seq == published.seq { $0.pushed[key] = buffer } }
        return buffer
    }

    /// The snapshot's JSON object in a form: from the cache while it is the latest, else encoded (and
    /// cached, unless a newer snapshot is cached already).
    func body(_ published: PublishedSnapshot, _ form: SnapshotForm) -> [UInt8]? {
        if let hit = bodies.withLock({ $0.seq == published.seq ? $0.forms[form] : nil }) { return hit }
        var snapshot = published.snapshot
        let events = snapshot.recentEvents
        snapshot.recentEvents = []
        let encoder = JSONEncoder.drain
        if form.rows { encoder.userInfo[ControlMessage.versionKey] = 3 }
        guard let encoded = try? encoder.encode(snapshot) else { return nil }
        let body = form.events ? splice(Array(encoded), events, encoder) : Array(encoded)
        bodies.withLock { bodies in
            bodies.encoded += 1
            if bodies.seq < published.seq { bodies = Bodies(seq: published.seq, encoded: bodies.encoded) }
            guard bodies.seq == published.seq else { return }
            bodies.forms[form] = body
        }
        return body
    }

    /// One wire line for `message`, ending in a newline; nil if it cannot be encoded (never for our types).
    /// - Parameter version: The `v` the line carries: the protocol version of the connection it is for.
    func line(_ message: ControlMessage, version: Int = ControlProtocol.version) -> ByteBuffer? {
        let encoder = JSONEncoder.drain
        if version != ControlProtocol.version { encoder.userInfo[ControlMessage.versionKey] = version }
        var bytes: [UInt8]
        switch message {
        case .event(let event):
            guard let body = self.bytes(of: event, encoder) else { return nil }
            // Sorted keys: event < type < v, as the encoder would order them.
            bytes = Array(#"{"event":"#.utf8) + body + Array(#","type":"event","v":\#(version)}"#.utf8)
        case .status(let id, var snapshot):
            let events = snapshot.recentEvents
            snapshot.recentEvents = []
            guard let encoded = try? encoder.encode(ControlMessage.status(id: id, snapshot)) else { return nil }
            bytes = splice(Array(encoded), events, encoder)
        case .snapshot(var snapshot):
            let events = snapshot.recentEvents
            snapshot.recentEvents = []
            guard let encoded = try? encoder.encode(ControlMessage.snapshot(snapshot)) else { return nil }
            bytes = splice(Array(encoded), events, encoder)
        default:
            guard let encoded = try? encoder.encode(message) else { return nil }
            bytes = Array(encoded)
        }
        bytes.append(UInt8(ascii: "\n"))
        return ByteBuffer(bytes: bytes)
    }

    /// Puts the events' bytes where the snapshot's empty `"recent_events":[]` is. That text can only be
    /// the key itself: inside a JSON string its quotes would be escaped.
    private func splice(_ encoded: [UInt8], _ events: [DrainEvent], _ encoder: JSONEncoder) -> [UInt8] {
        guard !events.isEmpty, let at = Self.find(Self.emptyEvents, in: encoded) else { return encoded }
        var joined: [UInt8] = []
        for (index, event) in events.enumerated() {
            if index > 0 { joined.append(UInt8(ascii: ",")) }
            guard let bytes = bytes(of: event, encoder) else { return encoded }
            joined += bytes
        }
        let close = at + Self.emptyEvents.count - 1
        return Array(encoded[..<close]) + joined + Array(encoded[close...])
    }

    private func bytes(of event: DrainEvent, _ encoder: JSONEncoder) -> [UInt8]? {
        if let cached = cache.withLock({ $0.bySeq[event.seq] }) { return cached }
        guard let encoded = try? encoder.encode(event) else { return nil }
        let bytes = Array(encoded)
        cache.withLock { cache in
            cache.encoded += 1
            cache.bySeq[event.seq] = bytes
            // Old events age out of every snapshot; drop the oldest when over capacity.
            if cache.bySeq.count > capacity, let oldest = cache.bySeq.keys.min() { cache.bySeq[oldest] = nil }
        }
        return bytes
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = 0
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0], haystack[index..<index + needle.count].elementsEqual(needle) {
                return index
            }
            index += 1
        }
        return nil
    }
}
