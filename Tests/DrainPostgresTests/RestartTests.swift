import DrainLocalPostgres
import DrainPostgres
import DrainTestSupport
import Foundation
import Testing

@testable import Drain

/// PostgreSQL going away and coming back under a running pool: a server of each test's own, so the tests
/// need not take turns.
@Suite("PostgreSQL restarts", .timeLimit(.minutes(5)))
struct RestartTests {
    @Test("the database restarted mid-drain: submit fails typed, in-flight jobs finish, outcomes are written later")
    func restartMidDrain() async throws {
        let server = try await LocalPostgres.start()
        do {
            try await restartMidDrain(server)
        } catch {
            await server.stopAndRemove()
            throw error
        }
        await server.stopAndRemove()
    }

    private func restartMidDrain(_ server: LocalPostgres) async throws {
        let fleet = try await Fleet(server: server)
        // The schema is migrated first, under the suite's 30 s timeout: on a freshly started server and a loaded
        // machine a migration took over 5 s, and the 5 s timeout below is for the restart, not the set-up.
        try await fleet.withProducer { _ in }
        // The product's own operation timeout: these tests wait for calls to a stopped server to give up.
        let worker = FleetWorker(
            try fleet.journal(lease: .seconds(5), heartbeat: .milliseconds(250), operationTimeout: .seconds(5)),
            name: "w")
        try await worker.start()
        for _ in 0..<3 { try await worker.pool.submit(kind: "wait") }
        try await eventually("three jobs running") { worker.starts.ids.count == 3 }
        #expect(worker.pool.snapshot().journalReachable == true)

        try await server.stopServer()
        let error = await #expect(throws: DrainError.self) { try await worker.pool.submit(kind: "quick") }
        #expect(error?.code == .journal, "a submit the journal cannot take fails, typed, never dropped")
        try await eventually("the snapshot to say the journal is unreachable") {
            worker.pool.snapshot().journalReachable == false
        }
        _ = try worker.pool.drain(grace: .seconds(30))
        worker.gate.open()
        // The jobs finish while the database is down; their outcomes wait for it.
        try await eventually("the three outcomes waiting for the database") { worker.pool.finishingJobs == 3 }
        #expect(worker.pool.phase == .draining, "the pool waits for its outcomes instead of stopping")
        try await server.startServer()
        await worker.pool.waitUntilStopped()
        let report = try #require(worker.pool.report)
        #expect(report.outcome == .clean)
        #expect(report.completed == 3)
        #expect(
            try await fleet.count("state = '\(JobState.done)'") == 3, "every outcome written once the database was back"
        )
        worker.kill()
    }

    @Test("outcomes that cannot be written before the drain ends stay running and are rescued, never lost")
    func unwrittenOutcomesRescued() async throws {
        let server = try await LocalPostgres.start()
        do {
            try await unwrittenOutcomesRescued(server)
        } catch {
            await server.stopAndRemove()
            throw error
        }
        await server.stopAndRemove()
    }

    private func unwrittenOutcomesRescued(_ server: LocalPostgres) async throws {
        let fleet = try await Fleet(server: server)
        // The schema is migrated first, under the suite's 30 s timeout: on a freshly started server and a loaded
        // machine a migration took over 5 s, and the 5 s timeout below is for the restart, not the set-up.
        try await fleet.withProducer { _ in }
        let worker = FleetWorker(
            try fleet.journal(lease: .seconds(1), heartbeat: .milliseconds(250), operationTimeout: .seconds(5)),
            name: "cut-off",
            cancellationWindow: .milliseconds(200))
        try await worker.start()
        for _ in 0..<2 { try await worker.pool.submit(kind: "wait") }
        try await eventually("two jobs running") { worker.starts.ids.count == 2 }
        try await server.stopServer()
        _ = try worker.pool.drain(grace: .milliseconds(300))
        worker.gate.open()
        // The drain cannot write anything: it gives up at the end of its cancellation window.
        await worker.pool.waitUntilStopped()
        worker.kill()
        try await server.startServer()
        #expect(
            try await fleet.count("state = '\(JobState.running)'") == 2,
            "the rows stay running under the stopped worker")
        let peer = FleetWorker(try fleet.journal(lease: .seconds(1), heartbeat: .milliseconds(250)), name: "peer")
        try await peer.start()
        try await eventually("the peer to rescue and run both") { peer.starts.ids.count == 2 }
        peer.gate.open()
        try await eventually("both done") { try await fleet.count("state = '\(JobState.done)'") == 2 }
        await peer.stop()
    }
}
