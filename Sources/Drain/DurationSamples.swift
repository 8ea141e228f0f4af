/// The last few hundred durations of one job kind: what its predictions learn from.
///
/// A fixed ring, so memory and the cost of a prediction stay constant however many jobs run. A restarted
/// pool seeds it from the journal (``JobJournal/recentDurations(limit:)``), so it starts with what its
/// predecessor observed.
struct DurationSamples: Sendable {
    private var ring: [Double] = []
    private var next = 0
    private let capacity: Int

    /// How many durations of a kind predictions keep: enough for a p95, few enough to sort per snapshot.
    static let defaultCapacity = 256

    init(capacity: Int = defaultCapacity) { self.capacity = capacity }

    var count: Int { ring.count }

    /// The samples, oldest overwritten first, in no particular order.
    var values: [Double] { ring }

    mutating func add(_ seconds: Double) {
        guard seconds.isFinite, seconds >= 0 else { return }
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
}
