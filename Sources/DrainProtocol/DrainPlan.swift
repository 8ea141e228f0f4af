/// What a drain started now would do: the grace planner, shown while the pool is running.
public struct DrainPlan: Sendable, Codable, Hashable {
    /// The grace it plans for: the pool's default (`WorkerPoolConfiguration.defaultGrace`).
    public var graceSeconds: Double
    /// The median and 90th percentile of how long that drain would take; nil when past the grace.
    public var etaP50Seconds: Double?
    public var etaP90Seconds: Double?
    /// The expected number of jobs in flight now that would miss that grace.
    public var expectedMisses: Double
    /// The grace that drains every job in flight now with 90 % probability; nil when over a day.
    public var suggestedGraceSeconds: Double?

    private enum CodingKeys: String, CodingKey {
        case graceSeconds = "grace_seconds"
        case etaP50Seconds = "eta_p50_seconds"
        case etaP90Seconds = "eta_p90_seconds"
        case expectedMisses = "expected_misses"
        case suggestedGraceSeconds = "suggested_grace_seconds"
    }

    public init(
        graceSeconds: Double, etaP50Seconds: Double?, etaP90Seconds: Double?, expectedMisses: Double,
        suggestedGraceSeconds: Double?
    ) {
        self.graceSeconds = graceSeconds
        self.etaP50Seconds = etaP50Seconds
        self.etaP90Seconds = etaP90Seconds
        self.expectedMisses = expectedMisses
        self.suggestedGraceSeconds = suggestedGraceSeconds
    }
}
