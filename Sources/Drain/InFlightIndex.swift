import Foundation

/// The jobs in flight, kept so that a snapshot costs the same with 10 or 100,000 of them.
///
/// Start order is an append-only array read from a moving head; removed ids become tombstones that are
/// skipped and compacted away, so "the N oldest" touches about N entries. Predictions use per-kind counts
/// bucketed by start second, whose size is bounded by the age of the oldest job, not by the number of jobs.
struct InFlightIndex {
    struct Entry {
        var job: Job
        var started: Duration
        var startedAt: Date
        /// The handler returned and its outcome is being written: no longer abandonable.
        var finishing = false
    }

    private(set) var entries: [JobID: Entry] = [:]
    private var order: [JobID] = []
    private var head = 0
    private(set) var countByKind: [String: Int] = [:]
    /// kind → start second → jobs of that kind started in that second and still in flight.
    private var startBuckets: [String: [Int64: Int]] = [:]

    var count: Int { entries.count }

    mutating func insert(_ entry: Entry) {
        entries[entry.job.id] = entry
        order.append(entry.job.id)
        countByKind[entry.job.kind, default: 0] += 1
        startBuckets[entry.job.kind, default: [:]][Self.bucket(entry.started), default: 0] += 1
    }

    @discardableResult
    mutating func remove(_ id: JobID) -> Entry? {
        guard let entry = entries.removeValue(forKey: id) else { return nil }
        let kind = entry.job.kind
        countByKind[kind, default: 1] -= 1
        if countByKind[kind] == 0 { countByKind[kind] = nil }
        // A kind's table stays when its last job leaves, empty with its capacity: dropping it cost an
        // allocation on every job of a pool that runs one at a time (a kind is one entry, and kinds are few).
        startBuckets[kind, default: [:]].decrement(Self.bucket(entry.started))
        while head < order.count, entries[order[head]] == nil { head += 1 }
        if order.count - head > 2 * entries.count + 64 { compact() }
        return entry
    }

    mutating func markFinishing(_ id: JobID) -> Bool {
        // Read, then set: `entries[id]?.finishing = true` goes through the optional subscript's `modify`
        // coroutines, whose frames were allocated on the heap, three per job (the pool's allocation profile).
        guard var entry = entries[id], !entry.finishing else { return false }
        entry.finishing = true
        entries[id] = entry
        return true
    }

    /// The `limit` oldest entries, oldest first.
    func oldest(_ limit: Int) -> [Entry] {
        var result: [Entry] = []
        var index = head
        while result.count < limit, index < order.count {
            if let entry = entries[order[index]] { result.append(entry) }
            index += 1
        }
        return result
    }

    /// The start buckets of `kind` (start second → jobs in flight), for predicting after the lock.
    func buckets(kind: String) -> [Int64: Int] { startBuckets[kind, default: [:]] }

    private mutating func compact() {
        order = order[head...].filter { entries[$0] != nil }
        head = 0
    }

    /// The start second of an offset on the pool's clock: the key of ``buckets(kind:)``.
    static func bucket(_ offset: Duration) -> Int64 { offset.components.seconds }
}

extension Dictionary where Value == Int {
    /// One fewer at `key`, removing the key at zero. Through the getter and setter, not an optional
    /// `modify`: see ``InFlightIndex/markFinishing(_:)``.
    fileprivate mutating func decrement(_ key: Key) {
        guard let count = self[key] else { return }
        if count > 1 { self[key] = count - 1 } else { removeValue(forKey: key) }
    }
}
