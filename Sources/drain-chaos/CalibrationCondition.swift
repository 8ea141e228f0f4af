/// One of the four situations the predictions are judged in: a journal with or without the history of
/// earlier drains, and kinds with or without declared durations.
enum CalibrationCondition: String, Sendable, Codable, CaseIterable {
    /// History kept between drains, nothing declared: a service restarted again and again.
    case a = "A"
    /// A fresh journal, nothing declared: a new user's first drains.
    case b = "B"
    /// A fresh journal, durations declared.
    case c = "C"
    /// History and declarations.
    case d = "D"

    var keepHistory: Bool { self == .a || self == .d }
    var declared: Bool { self == .c || self == .d }

    /// The condition's seed in a four-condition run: `seed`, `seed + 1`, … in order A–D, as the runs in
    /// docs/PREDICTIONS.md were seeded one by one.
    func seed(base: UInt64) -> UInt64 {
        base &+ UInt64(Self.allCases.firstIndex(of: self) ?? 0)
    }

    var summary: String {
        (keepHistory ? "history" : "fresh journal") + ", " + (declared ? "durations declared" : "nothing declared")
    }
}
