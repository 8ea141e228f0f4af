/// The fixed parts of every iteration.
enum ChaosDefaults {
    /// The restarted demo: no new work, jobs 1000× faster than their stored durations (the longest
    /// possible job, 600 s, then takes 0.6 s), and a grace long enough that its own drain is clean.
    static func finalArguments(seed: UInt64) -> [String] {
        ["--rate", "0", "--concurrency", "8", "--duration-scale", "0.001", "--grace", "30", "--seed", String(seed)]
    }
}
