/// One snapshot as the pool published it: immutable, shared by every reader until the next one.
///
/// The control server reads it for `status` and every subscriber, and encodes it once per protocol
/// version by its ``seq``: the cost of a reply then does not depend on the pool at all.
package final class PublishedSnapshot: Sendable {
    /// Counts the snapshots the pool has taken: a later one has a higher `seq`, and the same `seq` is the
    /// same snapshot, so a cache of its bytes may be keyed by it.
    package let seq: UInt64
    /// The offset on the pool's clock at which the snapshot was taken (its state was read then).
    package let takenAt: Duration
    package let snapshot: PoolSnapshot

    package init(seq: UInt64, takenAt: Duration, snapshot: PoolSnapshot) {
        self.seq = seq
        self.takenAt = takenAt
        self.snapshot = snapshot
    }
}
