import DrainProtocol

/// One worker of the fleet, as its row in the shared journal's `workers` table says, with the jobs the
/// `jobs` table shows it running. Times are measured by the database's clock, so the readers' and the
/// workers' clocks never have to agree.
public struct FleetWorker: Sendable, Hashable {
    /// The worker's id (a UUID), unique across restarts.
    public var id: String
    public var name: String
    public var host: String
    public var pid: Int32
    /// The phase it last wrote; nil when it is not one this build knows.
    public var phase: DrainPhase?
    /// Jobs and operations in flight, as it last wrote.
    public var inFlight: Int
    /// Of those in flight at the start of its drain, how many have finished.
    public var drained: Int?
    /// Seconds to its drain's deadline (negative past it); nil while not draining.
    public var secondsLeft: Double?
    /// Seconds since its last heartbeat.
    public var silence: Double
    /// How long a silence its peers tolerate before rescuing its jobs.
    public var lease: Double
    /// Seconds since a peer found it dead and rescued its jobs; nil while it is not found dead.
    public var deadFor: Double?
    public var uptime: Double
    /// Jobs the `jobs` table shows running under it: for a dead worker, the ones waiting for rescue.
    public var running: Int
    /// Its drain, as its own screen shows it, at its last heartbeat (nil while running, and from workers
    /// of a build before schema v4).
    public var drain: Drain?
    /// Its process has ended: none of its sessions is connected to the database any more (the kernel
    /// closed them). Known at once, long before its lease runs out; false for workers of a build before
    /// schema v5, which name no session.
    public var gone: Bool
    /// Its drain's ID in the fleet's drain history (`drainctl report ID --postgres URL`), once it stopped
    /// and its drain was recorded; nil before, and from a fleet whose schema keeps no history (before v6).
    public var drainID: Int64?

    /// A draining worker's grace, progress and prediction.
    public struct Drain: Sendable, Hashable {
        /// The grace it was given: the countdown bar's full length.
        public var graceSeconds: Double?
        /// In flight when the drain started: what ``FleetWorker/drained`` counts towards.
        public var total: Int?
        /// When its last job should end, counted from its last heartbeat; nil p90: past the deadline.
        public var etaP50Seconds: Double?
        public var etaP90Seconds: Double?
        /// Jobs expected to miss its deadline.
        public var expectedMisses: Double?

        public init(
            graceSeconds: Double? = nil, total: Int? = nil, etaP50Seconds: Double? = nil,
            etaP90Seconds: Double? = nil, expectedMisses: Double? = nil
        ) {
            self.graceSeconds = graceSeconds
            self.total = total
            self.etaP50Seconds = etaP50Seconds
            self.etaP90Seconds = etaP90Seconds
            self.expectedMisses = expectedMisses
        }
    }

    public init(
        id: String, name: String, host: String, pid: Int32, phase: DrainPhase?, inFlight: Int, drained: Int? = nil,
        secondsLeft: Double? = nil, silence: Double, lease: Double, deadFor: Double? = nil, uptime: Double = 0,
        running: Int = 0, drain: Drain? = nil, gone: Bool = false, drainID: Int64? = nil
    ) {
        self.id = id
        self.name = name
        self.host = host
        self.pid = pid
        self.phase = phase
        self.inFlight = inFlight
        self.drained = drained
        self.secondsLeft = secondsLeft
        self.silence = silence
        self.lease = lease
        self.deadFor = deadFor
        self.uptime = uptime
        self.running = running
        self.drain = drain
        self.gone = gone
        self.drainID = drainID
    }

    /// Where the worker stands, from its heartbeat and its lease.
    public enum Health: Sendable, Hashable {
        /// Beating: its phase is what it says.
        case alive
        /// It wrote `stopped`: its drain ended.
        case stopped
        /// Gone (its process ended), or silent for longer than half its lease: presumed lost. Its running
        /// jobs wait for a peer to rescue them, in `rescueIn` seconds (0: due at the next sweep of any peer).
        case lost(rescueIn: Double)
        /// A peer found it dead and put its running jobs back in the queue.
        case rescued
    }

    /// Half the lease: a worker beats several times per lease, so missing half of it is no hiccup.
    public var health: Health {
        if phase == .stopped { return .stopped }
        if deadFor != nil { return .rescued }
        guard silence > lease / 2 || gone else { return .alive }
        return .lost(rescueIn: max(0, lease - silence))
    }

    /// Jobs and operations in flight now: what it last wrote, but none once a peer has rescued its jobs
    /// (a dead worker runs nothing; its last heartbeat's count is history).
    public var inFlightNow: Int { health == .rescued ? 0 : inFlight }

    /// Its jobs that wait for a live worker to rescue them: those the jobs table shows running under it
    /// while it is lost or stopped.
    public var waitingForRescue: Int {
        switch health {
        case .lost, .stopped: running
        case .alive, .rescued: 0
        }
    }
}
