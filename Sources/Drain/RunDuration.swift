/// How long one run of a job lasted, as the journal's history keeps it for predictions.
///
/// A run cut short (cancelled, or abandoned by a forced drain, and requeued) is *censored*: it would
/// have lasted at least ``seconds``. Predictions count it as such (Kaplan–Meier), so that a kind whose
/// long runs are usually cut by drains is not learnt from its short runs alone.
public struct RunDuration: Sendable, Hashable {
    /// Seconds from the claim to the written outcome (or to the cut).
    public var seconds: Double
    /// The run was cut short: it would have lasted at least ``seconds``.
    public var censored: Bool

    public init(seconds: Double, censored: Bool = false) {
        self.seconds = seconds
        self.censored = censored
    }
}
