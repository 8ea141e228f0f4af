#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Something an operator wants to see happen: a phase change, a moved deadline, a requeued job.
///
/// Routine job completions are not events (they are counted in the ``PoolSnapshot``), so the event
/// stream stays readable during a busy drain.
public struct DrainEvent: Sendable, Codable, Hashable {
    /// What happened.
    public enum Kind: String, Sendable, Codable {
        case started
        case recovered
        case phaseChanged = "phase_changed"
        case deadlineChanged = "deadline_changed"
        case jobFailed = "job_failed"
        case jobCancelled = "job_cancelled"
        case jobRequeued = "job_requeued"
        case command
        case stopped
    }

    /// Increases by one per event of this process, so a client can spot a gap.
    public var seq: Int
    public var time: Date
    public var kind: Kind
    /// The phase after the event.
    public var phase: DrainPhase
    public var cause: DrainCause?
    /// One line for people: `drain started by SIGTERM, grace 30s`.
    public var message: String
    public var jobID: JobID?
    public var jobKind: String?
    /// How long the job had run, for job events.
    public var ranSeconds: Double?
    /// The grace in seconds, for drain and deadline events.
    public var graceSeconds: Double?
    /// The final report, on the `stopped` event.
    public var report: ShutdownReport?

    public init(
        seq: Int, time: Date, kind: Kind, phase: DrainPhase, cause: DrainCause? = nil, message: String,
        jobID: JobID? = nil, jobKind: String? = nil, ranSeconds: Double? = nil, graceSeconds: Double? = nil,
        report: ShutdownReport? = nil
    ) {
        self.seq = seq
        self.time = time
        self.kind = kind
        self.phase = phase
        self.cause = cause
        self.message = message
        self.jobID = jobID
        self.jobKind = jobKind
        self.ranSeconds = ranSeconds
        self.graceSeconds = graceSeconds
        self.report = report
    }

    private enum CodingKeys: String, CodingKey {
        case seq, time, kind, phase, cause, message, report
        case jobID = "job_id"
        case jobKind = "job_kind"
        case ranSeconds = "ran_seconds"
        case graceSeconds = "grace_seconds"
    }
}
