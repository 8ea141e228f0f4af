import Foundation

/// What a drain did, written once when the pool stops.
///
/// It answers the operator's questions after a deploy: did it drain cleanly, how long did it take, and
/// which jobs were cancelled or put back, and how long had they run.
public struct ShutdownReport: Sendable, Codable, Hashable {
    /// `clean` when everything in flight finished before the deadline.
    public enum Outcome: String, Sendable, Codable {
        case clean
        case forced
    }

    /// A job that did not finish during the drain.
    public struct JobEntry: Sendable, Codable, Hashable {
        public var id: JobID
        public var kind: String
        public var ranSeconds: Double
        /// `cancelled` (stopped by cancellation and put back) or `abandoned` (ignored cancellation).
        public var fate: String
        public var requeued: Bool
    }

    public var outcome: Outcome
    public var name: String
    public var pid: Int32
    public var cause: DrainCause?
    public var drainStartedAt: Date?
    public var stoppedAt: Date
    /// From the start of draining (after any lame duck) to stopped.
    public var drainSeconds: Double
    public var graceSeconds: Double?
    public var inFlightAtDrainStart: Int
    /// Jobs and tracked operations (HTTP requests) that finished.
    public var completed: Int
    public var failed: Int
    public var cancelled: Int
    public var requeued: Int
    public var recovered: Int
    public var rejected: Int
    /// Jobs still queued in the journal for the next start.
    public var queued: Int
    /// Every job cancelled or requeued by this drain.
    public var jobs: [JobEntry]
    /// Of ``completed``, how many were tracked operations; nil in reports written before it was counted.
    public var completedOperations: Int? = nil

    /// The report as pretty JSON with snake_case keys.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder.drain
        return try encoder.encode(self)
    }
}

extension JSONEncoder {
    /// snake_case keys, ISO-8601 dates, sorted keys: the one JSON dialect drainctl speaks.
    package static var drain: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

extension JSONDecoder {
    /// The decoder matching ``Foundation/JSONEncoder/drain``.
    package static var drain: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
