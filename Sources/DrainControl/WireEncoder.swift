import DrainProtocol
import NIOCore
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Encodes the server's lines, each event once.
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

    /// How many events' bytes are kept: more than a snapshot carries, so a reply finds them all.
    private let capacity: Int
    private let cache = Mutex(Cache())
    private static let emptyEvents = Array(#""recent_events":[]"#.utf8)

    init(capacity: Int = 256) { self.capacity = capacity }

    /// How many events have been encoded so far (not served from the cache), for tests.
    var eventsEncoded: Int { cache.withLock { $0.encoded } }

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
