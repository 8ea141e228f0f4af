/// The last few hundred durations of one job kind, for p50/p95 predictions.
///
/// A fixed ring, so memory and percentile cost stay constant however many jobs run.
struct DurationSamples: Sendable {
    private var ring: [Double] = []
    private var next = 0
    private let capacity: Int

    init(capacity: Int = 256) { self.capacity = capacity }

    var count: Int { ring.count }

    mutating func add(_ seconds: Double) {
        if ring.count < capacity {
            ring.append(seconds)
        } else {
            ring[next] = seconds
        }
        next = (next + 1) % capacity
    }

    /// The `q` quantile (0...1) of the samples, nil when there are none.
    func quantile(_ q: Double) -> Double? {
        guard !ring.isEmpty else { return nil }
        let sorted = ring.sorted()
        let index = min(sorted.count - 1, max(0, Int((q * Double(sorted.count - 1)).rounded())))
        return sorted[index]
    }

    /// A prediction of how much longer a job that has run `age` seconds will take.
    ///
    /// Below the median, the median is expected; past it, the p95; past that, half its age again
    /// (a job that has outlived every sample is assumed heavy-tailed, not about to finish).
    func predictedRemaining(age: Double) -> Double? {
        guard let p50 = quantile(0.5), let p95 = quantile(0.95) else { return nil }
        if age < p50 { return p50 - age }
        if age < p95 { return p95 - age }
        return age * 0.5
    }
}
