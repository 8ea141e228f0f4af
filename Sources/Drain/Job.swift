import Foundation

/// A unit of work handed to a registered handler.
public struct Job: Sendable, Hashable, Identifiable {
    public var id: JobID
    /// The registered kind, which selects the handler (`email.send`).
    public var kind: String
    /// The bytes given to ``WorkerPool/submit(kind:payload:)``.
    public var payload: Data
    /// How many times this job has been started, this run included (1 on the first run).
    public var attempt: Int

    public init(id: JobID, kind: String, payload: Data, attempt: Int) {
        self.id = id
        self.kind = kind
        self.payload = payload
        self.attempt = attempt
    }
}

/// The async function that runs jobs of one kind.
///
/// - Important: Delivery is at least once. A job whose run was forced or killed runs again after the next
///   start, so a handler must be idempotent. A handler should honour task cancellation: a forced drain
///   cancels it and then waits only the cancellation window.
public typealias JobHandler = @Sendable (Job) async throws -> Void
