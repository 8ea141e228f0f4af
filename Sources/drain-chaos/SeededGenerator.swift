/// SplitMix64: a small seedable generator, so `--seed` replays the same choices.
///
/// Each iteration gets a generator of its own derived from the run's seed and its index, so one
/// iteration can be replayed alone (`--first-iteration N --iterations 1`) with the same choices.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// The generator for iteration `index` of a run seeded with `seed`.
    init(seed: UInt64, iteration index: Int) {
        var mixer = SeededGenerator(seed: seed ^ (UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15))
        state = mixer.next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
