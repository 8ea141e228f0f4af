import DrainFleet
import DrainProtocol
import Testing

/// Following jobs from one read of the journal to the next, without a database.
@Suite("Hand-offs")
struct HandoffTrackerTests {
    /// One read: the running jobs, and the states the journal gives for the jobs the tracker asks about.
    static func read(
        _ tracker: inout HandoffTracker, _ running: [Int64: String], queued: Set<Int64> = [],
        finished: Set<Int64> = []
    ) {
        var states: [Int64: JobState] = [:]
        for id in tracker.unknown(running: running) {
            states[id] = queued.contains(id) ? .queued : finished.contains(id) ? .done : nil
        }
        tracker.observe(running: running, states: states)
    }

    @Test(
        "a drain requeues three jobs; two are taken by one peer, one by another: web-3 requeued 3 → web-1 (2), web-2 (1)"
    )
    func requeuedThenTaken() throws {
        var tracker = HandoffTracker()
        Self.read(&tracker, [1: "web-3", 2: "web-3", 3: "web-3", 4: "web-3", 9: "web-1"])
        // Job 4 finished during the drain; 1, 2 and 3 went back to the queue.
        Self.read(&tracker, [9: "web-1"], queued: [1, 2, 3], finished: [4])
        #expect(tracker.sorted.map(\.requeued) == [3])
        #expect(tracker.sorted.first?.waiting == 3)
        Self.read(&tracker, [1: "web-1", 2: "web-1"], queued: [3], finished: [9])
        Self.read(&tracker, [1: "web-1", 2: "web-1", 3: "web-2"])
        let handoff = try #require(tracker.sorted.first)
        #expect(handoff.from == "web-3")
        #expect(handoff.requeued == 3)
        #expect(handoff.takenBy == ["web-1": 2, "web-2": 1])
        #expect(handoff.waiting == 0)
        #expect(tracker.handoffs["web-1"] == nil, "web-1's finished job 9 is no hand-off")
    }

    @Test("a job rescued and taken between two reads still counts as a hand-off")
    func takenBetweenReads() {
        var tracker = HandoffTracker()
        Self.read(&tracker, [7: "dead"])
        Self.read(&tracker, [7: "alive"])
        #expect(tracker.sorted.map(\.from) == ["dead"])
        #expect(tracker.sorted.first?.requeued == 1)
        #expect(tracker.sorted.first?.takenBy == ["alive": 1])
    }

    @Test("finished jobs move nowhere, and a job whose state was not known yet is counted once it is")
    func finishedAndUnknown() {
        var tracker = HandoffTracker()
        Self.read(&tracker, [1: "a", 2: "a"])
        // The journal was not asked this time: neither job is counted yet.
        tracker.observe(running: [:], states: [:])
        #expect(tracker.sorted.isEmpty)
        Self.read(&tracker, [:], queued: [2], finished: [1])
        #expect(tracker.sorted.map(\.requeued) == [1])
        Self.read(&tracker, [2: "b"])
        #expect(tracker.sorted.first?.takenBy == ["b": 1])
    }
}
