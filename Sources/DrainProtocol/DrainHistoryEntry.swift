#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One drain kept in a journal's drain history: its number there, the host that drained, and its report.
///
/// `drainctl report` lists these and draws one; the report is the ``ShutdownReport`` the pool handed out
/// when it stopped, timeline included.
public struct DrainHistoryEntry: Sendable, Codable, Hashable {
    /// The drain's number in its journal (`drainctl report ID`): rising, never reused.
    public var id: Int64
    /// The host the process ran on; nil when the journal did not record it.
    public var host: String?
    /// The worker's name in a shared journal; nil for an embedded one.
    public var worker: String?
    /// The fleet (the shared journal's schema) the worker drained in; nil for an embedded journal.
    public var fleet: String?
    public var report: ShutdownReport

    public init(
        id: Int64, host: String? = nil, worker: String? = nil, fleet: String? = nil, report: ShutdownReport
    ) {
        self.id = id
        self.host = host
        self.worker = worker
        self.fleet = fleet
        self.report = report
    }
}
