import Synchronization

/// A count shared with `@Sendable` closures.
final class Counter: Sendable {
    private let count = Atomic<Int>(0)

    func add(_ n: Int) { count.add(n, ordering: .relaxed) }

    var value: Int { count.load(ordering: .relaxed) }
}
