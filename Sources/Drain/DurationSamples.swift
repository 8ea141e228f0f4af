/// The last few hundred runs of one job kind: what its predictions learn from.
///
/// A fixed ring, so memory and the cost of a prediction stay constant however many jobs run. A restarted
/// pool seeds it from the journal (``JobJournal/recentRuns(limit:)``), so it starts with what its
/// predecessor observed. Runs cut short share the ring with finished ones, so their proportion is the
/// recent one; they are kept apart as censored observations (lasted at least that long).
struct DurationSamples: Sendable {
    private var ring: [RunDuration] = []
    private var next = 0
    private let capacity: Int

    /// How many runs of a kind predictions keep: enough for a p95, few enough to sort per snapshot.
    static let defaultCapacity = 256

    init(capacity: Int = defaultCapacity) { self.capacity = capacity }

    /// How many finished runs the ring holds.
    var count: Int { ring.count { !$0.censored } }

    /// The finished runs' durations, in no particular order.
    var values: [Double] { ring.compactMap { $0.censored ? nil : $0.seconds } }

    /// The cut runs' durations (each lasted at least that long), in no particular order.
    var censoredValues: [Double] { ring.compactMap { $0.censored ? $0.seconds : nil } }

    mutating func add(_ seconds: Double, censored: Bool = false) {
        guard seconds.isFinite, seconds >= 0 else { return }
        let run = RunDuration(seconds: seconds, censored: censored)
        if ring.count < capacity {
            ring.append(run)
        } else {
            ring[next] = run
        }
        next = (next + 1) % capacity
    }

    /// The `q` quantile (0...1) of the finished runs, nil when there are none.
    func quantile(_ q: Double) -> Double? {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return nil }
        let index = min(sorted.count - 1, max(0, Int((q * Double(sorted.count - 1)).rounded())))
        return sorted[index]
    }
}
