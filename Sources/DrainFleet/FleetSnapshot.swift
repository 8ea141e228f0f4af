/// The fleet at one read: every worker, the shared queue, and which worker runs which job.
public struct FleetSnapshot: Sendable, Hashable {
    public var workers: [FleetWorker]
    /// Jobs waiting in the shared queue.
    public var queued: Int
    /// Running jobs: job id → worker id, for following hand-offs from one read to the next.
    public var running: [Int64: String]

    public init(workers: [FleetWorker], queued: Int, running: [Int64: String]) {
        self.workers = workers
        self.queued = queued
        self.running = running
    }

    /// The workers found dead, whose jobs a peer rescued: their hand-offs read *rescued*, not *requeued*.
    public var rescuedWorkers: Set<String> { Set(workers.filter { $0.health == .rescued }.map(\.id)) }
}
