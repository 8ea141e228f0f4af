import DrainClient
import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Decodes the lines of a subscription with DrainProtocol's own types: the one wire schema.
///
/// Protocol v3 keeps the line that comes ten times a second cheap to decode with `JSONDecoder`: pushed
/// snapshots carry no events (each is pushed once on its own) and their listed jobs are rows, so a
/// snapshot costs no keyed container and no date parse per job (see docs/PROTOCOL.md, "Version 3").
///
/// - Important: Not thread-safe: one per subscription, used by its reading thread only.
struct WireDecoder {
    /// What one line was.
    enum Line {
        /// A pushed snapshot. Its `recentEvents` is empty when it had no event newer than `lastSeq`.
        case snapshot(PoolSnapshot)
        /// Any other line: a reply, an error, an event, or a snapshot with news.
        case message(ControlMessage)
    }

    /// The newest event sequence number passed on so far.
    var lastSeq = 0
    private let decoder = JSONDecoder.drain

    /// - Throws: ``DrainClient/ControlError`` `protocolViolation` when the line is not the protocol.
    mutating func decode(_ line: Data) throws -> Line {
        let message: ControlMessage
        do {
            message = try decoder.decode(ControlMessage.self, from: line)
        } catch {
            throw ControlError(
                .protocolViolation, "it sent a line that is not protocol v1, v2 or v3: \(Self.excerpt(line))")
        }
        let seqs = (message.snapshot?.recentEvents.map(\.seq) ?? []) + [message.event?.seq].compactMap { $0 }
        let newest = seqs.max() ?? 0
        // A pushed snapshot whose events were all seen (v1 repeats them) is only the pool's state.
        if case .snapshot(var snapshot) = message, newest <= lastSeq, snapshot.report == nil {
            snapshot.recentEvents = []
            return .snapshot(snapshot)
        }
        lastSeq = max(lastSeq, newest)
        return .message(message)
    }

    /// The start of a bad line, printable, for the error message.
    static func excerpt(_ line: Data) -> String {
        let text = String(decoding: line.prefix(48), as: UTF8.self)
        let printable = String(
            text.unicodeScalars.map { $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" })
        return "“" + printable + (line.count > 48 ? "…" : "") + "”"
    }
}
