/// What one iteration did and what its record proves.
struct IterationResult: Sendable {
    var plan: IterationPlan
    /// Where its journal, record and demo output are.
    var directory: String
    /// How the demo under load ended.
    var loadStatus: ExitStatus?
    /// The deadline move of a `moved_deadline` action arrived after the drain had already ended.
    var lateMove = false
    /// The verifier's verdict on the iteration's record.
    var verdict = Verdict()
    /// Problems of the run itself: an unexpected exit status, a drain that never ended, a refused command.
    var anomalies: [String] = []
    var seconds = 0.0

    init(plan: IterationPlan, directory: String) {
        self.plan = plan
        self.directory = directory
    }

    var passed: Bool { verdict.passed && anomalies.isEmpty }
}
