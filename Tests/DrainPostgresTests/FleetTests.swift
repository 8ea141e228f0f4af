import Drain
import DrainPostgres
import DrainTestSupport
import Foundation
import Testing

/// Pools sharing one PostgreSQL queue: hand-off, rescue, and what a slow job or a dead worker means.
@Suite("Fleet on PostgreSQL", .timeLimit(.minutes(5)))
struct FleetTests {
    // MARK: Hand-off

    @Test("jobs a forced drain gives back start on another worker at once, woken by NOTIFY")
    func handOff() async throws {
        let fleet = try await Fleet()
        // A long heartbeat: the hand-off must not wait for the poll.
        let leaving = FleetWorker(try fleet.journal(lease: .seconds(120), heartbeat: .seconds(60)), name: "leaving")
        try await leaving.start()
        for _ in 0..<3 { try await leaving.pool.submit(kind: "wait") }
        try await eventually("three jobs running on the leaving worker") { leaving.starts.ids.count == 3 }
        let staying = FleetWorker(try fleet.journal(lease: .seconds(120), heartbeat: .seconds(60)), name: "staying")
        try await staying.start()
        // A notification nobody listens for is lost (the poll finds the job later): wait for both listeners.
        try await eventually("both workers listening") {
            try await fleet.value(
                "SELECT count(*) FROM pg_stat_activity WHERE query ILIKE 'LISTEN%\(fleet.schema)_jobs%'") == "2"
        }
        let clock = ContinuousClock()
        let forcedAt = clock.now
        _ = try leaving.pool.drain(grace: .zero)
        try await eventually("the staying worker to start the three jobs") { staying.starts.ids.count == 3 }
        let handOff = clock.now - forcedAt
        #expect(Set(staying.starts.ids) == Set(leaving.starts.ids))
        #expect(staying.starts.all.allSatisfy { $0.attempt == 2 }, "the cut-off run counts as an attempt")
        // The poll would take 60 s; NOTIFY takes the window (200 ms) and, on a loaded machine, some seconds.
        // How fast it is belongs to the benchmarks; here it must only be the notification, not the poll.
        #expect(handOff < .seconds(30), "hand-off took \(handOff)")
        await leaving.pool.waitUntilStopped()
        #expect(leaving.pool.report?.requeued == 3)
        staying.gate.open()
        try await eventually("the jobs done") { try await fleet.count("state = '\(JobState.done)'") == 3 }
        leaving.kill()
        await staying.stop()
    }

    // MARK: Waking up

    /// A worker that does nothing but listen, with a heartbeat (the poll) far longer than any wait below.
    private func idleListener(_ fleet: Fleet) async throws -> FleetWorker {
        // Its poll (the heartbeat, 10 minutes) is far longer than any wait below (at most the default two
        // minutes), so only a notification can wake it.
        let idle = FleetWorker(try fleet.journal(lease: .seconds(1_200), heartbeat: .seconds(600)), name: "idle")
        try await idle.start()
        try await eventually("the idle worker listening") {
            try await fleet.value(
                "SELECT count(*) FROM pg_stat_activity WHERE query ILIKE 'LISTEN%\(fleet.schema)_jobs%'") == "1"
        }
        return idle
    }

    @Test("jobs appended elsewhere start on an idle worker at once: the NOTIFY after the append, not the poll")
    func appendWakesPeer() async throws {
        let fleet = try await Fleet()
        let idle = try await idleListener(fleet)
        try await fleet.withProducer(lease: .seconds(20), heartbeat: .seconds(10)) { producer in
            let ids = try await producer.append((0..<3).map { _ in NewJob(kind: "quick", payload: Data()) })
            // The wait's bound is well inside the idle worker's 10-minute poll: only the NOTIFY can meet it.
            try await eventually("the idle worker to start the three jobs") { idle.starts.ids.count == 3 }
            #expect(Set(idle.starts.ids) == Set(ids))
        }
        await idle.stop()
    }

    @Test("a burst of concurrent appends all reach an idle worker without the poll")
    func appendBurstWakesPeer() async throws {
        let fleet = try await Fleet()
        let idle = try await idleListener(fleet)
        try await fleet.withProducer(lease: .seconds(20), heartbeat: .seconds(10)) { producer in
            // Appends while a notification is on its way fold into the next one; the last append must still
            // be followed by one, or its job would wait for the poll.
            let ids = try await withThrowingTaskGroup(of: [JobID].self) { group in
                for _ in 0..<40 {
                    group.addTask { try await producer.append([NewJob(kind: "quick", payload: Data())]) }
                }
                return try await group.reduce(into: [JobID]()) { $0 += $1 }
            }
            // Well inside the idle worker's 10-minute poll: a burst whose last append went unannounced would
            // wait for it. (A 5 s wait inside a 10 s poll was once too short for 40 jobs on a loaded machine.)
            try await eventually("the idle worker to start all 40 jobs") {
                idle.starts.ids.count == 40
            }
            #expect(Set(idle.starts.ids) == Set(ids))
        }
        await idle.stop()
    }

    @Test("a draining worker stops claiming; the queue stays for the others and its count is the fleet's")
    func drainLeavesQueue() async throws {
        let fleet = try await Fleet()
        let draining = FleetWorker(try fleet.journal(), name: "draining", concurrency: 1)
        try await draining.start()
        try await draining.pool.submit(kind: "wait")
        try await eventually("one job running") { draining.starts.ids.count == 1 }
        for _ in 0..<5 { try await draining.pool.submit(kind: "quick") }
        _ = try draining.pool.drain(grace: .seconds(30))
        // Another producer adds to the shared queue; the draining worker's count follows the fleet's.
        try await fleet.withProducer { producer in
            _ = try await producer.append([NewJob(kind: "quick", payload: Data())])
            try await eventually("the fleet's count in the draining worker's snapshot") {
                draining.pool.snapshot().queued == 6
            }
        }
        draining.gate.open()
        await draining.pool.waitUntilStopped()
        #expect(draining.starts.ids.count == 1, "nothing claimed once draining")
        #expect(try await fleet.count("state = '\(JobState.queued)'") == 6)
        draining.kill()
    }

    // MARK: Rescue

    @Test("a silent worker's running jobs are rescued once its lease has run out, not before, attempt kept")
    func rescueAfterLease() async throws {
        let fleet = try await Fleet()
        let lease = Duration.seconds(2)
        let dying = FleetWorker(try fleet.journal(lease: lease, heartbeat: .milliseconds(250)), name: "dying")
        try await dying.start()
        for _ in 0..<2 { try await dying.pool.submit(kind: "wait") }
        try await eventually("two jobs running") { dying.starts.ids.count == 2 }
        let rescuer = FleetWorker(try fleet.journal(lease: lease, heartbeat: .milliseconds(250)), name: "rescuer")
        try await rescuer.start()
        dying.silence()
        try await eventually("the rescuer to run the jobs") { rescuer.starts.ids.count == 2 }
        // Not before the lease ran out, in the database's own clock: each rescued job was claimed at least
        // one lease after the dying worker's last heartbeat. (Timed from the test's side, a heartbeat that a
        // loaded machine ran late or skipped before the silence moved the bound by a beat or two.)
        let afterLease = try await fleet.value(
            "SELECT bool_and(j.started_at >= w.heartbeat_at + w.lease_ms * interval '1 millisecond') "
                + "FROM $s.jobs j, $s.workers w WHERE w.dead_at IS NOT NULL AND j.state = '\(JobState.running)'")
        #expect(afterLease == "t", "a job was rescued before the lease of its worker ran out")
        #expect(rescuer.starts.all.allSatisfy { $0.attempt == 2 })
        // The sweep requeues the jobs and then reports how many it rescued; the claim that started them may
        // reach the pool first (NOTIFY wakes the claimer at the commit), so the count follows, it does not lead.
        try await eventually("the rescuer to count the two jobs as recovered") {
            rescuer.pool.snapshot().recovered == 2
        }
        #expect(try await fleet.value("SELECT sum(rescues) FROM $s.jobs") == "2")
        #expect(try await fleet.value("SELECT count(*) FROM $s.workers WHERE dead_at IS NOT NULL") == "1")
        rescuer.gate.open()
        try await eventually("the rescued jobs done") { try await fleet.count("state = '\(JobState.done)'") == 2 }
        dying.gate.open()
        await dying.stop(grace: .zero)
        #expect(
            try await fleet.count("state = '\(JobState.done)'") == 2,
            "the dead worker's late outcomes do not overwrite the rescue")
        await rescuer.stop()
    }

    @Test("a slow job on a live worker is never rescued, however long it runs")
    func slowJobKept() async throws {
        let fleet = try await Fleet()
        // A lease a loaded machine's slowest beat stays well inside (a 1 s lease was once lost at load 12).
        let lease = Duration.seconds(3)
        let slow = FleetWorker(try fleet.journal(lease: lease, heartbeat: .milliseconds(200)), name: "slow")
        try await slow.start()
        try await slow.pool.submit(kind: "wait")
        try await eventually("the slow job running") { slow.starts.ids.count == 1 }
        let peer = FleetWorker(
            try fleet.journal(lease: lease, heartbeat: .milliseconds(200), name: "peer"), name: "peer")
        try await peer.start()
        // Three leases long, with the peer sweeping every heartbeat: wait until the database shows the peer
        // beating three leases after the slow job started, so its sweeps since then have all run, instead of
        // sleeping and hoping they did.
        try await eventually("the peer beating three leases after the slow job started") {
            try await fleet.value(
                """
                SELECT count(*) FROM $s.workers w, $s.jobs j WHERE w.name = 'peer' AND j.state = 'running'
                    AND w.heartbeat_at > j.started_at + interval '\(lease.components.seconds * 3) seconds'
                """
            ).trimmingCharacters(in: .whitespacesAndNewlines) == "1"
        }
        #expect(peer.starts.ids.isEmpty)
        #expect(peer.pool.snapshot().recovered == 0)
        #expect(try await fleet.count("state = '\(JobState.running)'") == 1)
        slow.gate.open()
        try await eventually("the slow job done") { try await fleet.count("state = '\(JobState.done)'") == 1 }
        await slow.stop()
        await peer.stop()
    }

    @Test("a worker that stopped with outcomes it could not write has them rescued at once")
    func stoppedWorkerRescue() async throws {
        let fleet = try await Fleet()
        // A lease no wait below can reach: beside the whole suite and two CPU hogs the peer once took over
        // 20 s to start and rescue, so "at once" is told from "after the lease" by a 10-minute lease.
        let lease = Duration.seconds(600)
        let worker = FleetWorker(try fleet.journal(lease: lease), name: "stopping")
        try await worker.start()
        _ = try await worker.journal.append([NewJob(kind: "quick", payload: Data())])
        // A row left running under the worker, as if its outcome had not been written before it stopped.
        try await fleet.value(
            "INSERT INTO $s.jobs (kind, payload, state, attempts, worker_id) VALUES ('quick', '', 'running', 1, '\(worker.journal.workerID.uuidString.lowercased())')"
        )
        await worker.stop()
        #expect(try await fleet.value("SELECT phase FROM $s.workers") == "stopped")
        let peer = FleetWorker(try fleet.journal(lease: lease), name: "peer")
        try await peer.start()
        try await eventually("the peer to rescue it, well before the 10-minute lease") {
            peer.pool.snapshot().recovered == 1
        }
        try await eventually("the peer to run it") { try await fleet.count("state = '\(JobState.done)'") == 2 }
        await peer.stop()
    }
}
