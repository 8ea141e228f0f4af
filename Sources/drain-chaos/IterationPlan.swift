/// Everything random about one iteration, drawn up front from its own seeded generator.
///
/// Drawing it all before anything runs means the same seed and iteration give the same plan however the
/// timing of an earlier iteration went, so a finding can be replayed alone.
struct IterationPlan: Sendable, Hashable {
    var iteration: Int
    var action: ChaosAction
    /// `--seed` for the demo's workload.
    var workloadSeed: UInt64
    var concurrency: Int
    /// New jobs per second while under load.
    var rate: Double
    /// Job durations are scaled by this under load (the demo's median email is then 0.6 s × scale).
    var durationScale: Double
    /// The demo's `--grace`: the grace of a SIGTERM drain.
    var grace: Double
    var cancelWindow: Double
    var lameDuck: Double
    /// Seconds of load between the socket appearing and the action.
    var moment: Double

    init(seed: UInt64, iteration: Int) {
        var random = SeededGenerator(seed: seed, iteration: iteration)
        self.iteration = iteration
        workloadSeed = random.next()
        concurrency = Int.random(in: 1...8, using: &random)
        rate = Double.random(in: 10...120, using: &random)
        durationScale = Double.random(in: 0.02...0.1, using: &random)
        grace = Double.random(in: 0.05...1.5, using: &random)
        cancelWindow = Double.random(in: 0...0.3, using: &random)
        lameDuck = Double.random(in: 0..<1, using: &random) < 0.15 ? Double.random(in: 0.05...0.3, using: &random) : 0
        moment = Double.random(in: 0.05...0.8, using: &random)
        // Graces from zero to well past the median job, so some drains are clean and some are forced.
        switch ChaosAction.Kind.allCases.randomElement(using: &random)! {
        case .sigterm:
            action = .sigterm
        case .doubleSigterm:
            action = .doubleSigterm(gap: Double.random(in: 0...0.5, using: &random))
        case .sigkill:
            action = .sigkill
        case .socketShutdown:
            action = .socketShutdown(grace: Double.random(in: 0...1.2, using: &random))
        case .movedDeadline:
            let grace = Double.random(in: 0.1...1.0, using: &random)
            let after = Double.random(in: 0...0.5, using: &random)
            let move: ChaosAction.Move =
                Bool.random(using: &random)
                ? .extend(seconds: Double.random(in: -1...1.5, using: &random))
                : .reshutdown(grace: Double.random(in: 0...1.5, using: &random))
            action = .movedDeadline(grace: grace, after: after, move: move)
        }
    }

    /// The demo's flags while under load (the caller adds name, run dir, journal and record).
    var loadArguments: [String] {
        [
            "--rate", String(rate), "--concurrency", String(concurrency), "--duration-scale", String(durationScale),
            "--grace", String(grace), "--cancel-window", String(cancelWindow), "--lame-duck", String(lameDuck),
            "--seed", String(workloadSeed),
        ]
    }
}
