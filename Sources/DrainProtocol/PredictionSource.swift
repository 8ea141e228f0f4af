/// What a prediction rests on, from the most specific to the least.
///
/// A kind with enough observed durations is predicted from them (`history`: this process's and, through
/// the journal, its predecessors'). With few of them the prediction leans on a prior instead: the duration
/// the application declared for the kind (`declared`), else a prior learnt from every kind the pool has
/// seen (`prior`).
public enum PredictionSource: String, Sendable, Codable, Hashable, CaseIterable {
    /// The kind's own observed durations.
    case history
    /// The expected duration declared with `WorkerPool.register(kind:expectedDuration:handler:)`.
    case declared
    /// For kinds with neither: the prior pooled from every kind's runs (empirical Bayes), which starts
    /// from `WorkerPoolConfiguration.priorJobDuration` before any kind has run.
    case prior
}
