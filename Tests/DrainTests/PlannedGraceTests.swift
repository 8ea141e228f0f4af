import Foundation
import Testing

@testable import Drain

/// A drain whose grace the planner chooses as it begins (`"grace":"auto"`): in the machine, without a
/// clock, and in a pool on a manual clock.
@Suite("Planned grace")
struct PlannedGraceTests {
    /// Running, with one job in flight and one queued, and no tracked operation (which would take the cap).
    static func running(lameDuck: Duration = .zero) -> Fixture {
        var fixture = Fixture(lameDuck: lameDuck)
        fixture.enter(.running)
        for id in fixture.machine.operations.keys {
            _ = fixture.machine.operationEnded(id, succeeded: true, cancelled: false, at: fixture.now)
        }
        return fixture
    }

    @Test("the cap stands until the plan comes back; the plan sets the deadline from then, whole seconds up")
    func planned() throws {
        var fixture = Self.running()
        let start = fixture.now
        let (phase, begun) = try fixture.machine.drain(plannedGraceUpTo: .seconds(300), cause: .application, at: start)
        #expect(phase == .draining)
        #expect(begun.planGrace, "the runner was not asked to plan")
        #expect(fixture.machine.deadline == start.offset + .seconds(300))
        #expect(begun.events.last?.message.contains("grace planned, at most 5m") == true)

        fixture.now = fixture.later(.milliseconds(3))
        let action = fixture.machine.gracePlanned(12.2, at: fixture.now)
        #expect(fixture.machine.deadline == fixture.now.offset + .seconds(13))
        #expect(fixture.machine.grace == .seconds(13) + .milliseconds(3))
        #expect(action.armTimer?.deadline == fixture.now.offset + .seconds(13))
        #expect(action.publishSnapshot)
        let event = try #require(action.events.last)
        #expect(event.kind == .deadlineChanged)
        #expect(event.message == "grace planned: 13s drains the jobs in flight with 90 % probability")
        #expect(fixture.machine.plan == nil)
        // Made once: a second answer (a stale runner) changes nothing.
        #expect(fixture.machine.gracePlanned(1, at: fixture.now).isEmpty)
        #expect(fixture.machine.deadline == fixture.now.offset + .seconds(13))
    }

    @Test("a plan past the cap, or none within a day, takes the cap, counted from the drain's start")
    func capped() throws {
        for suggested in [500.0, nil] {
            var fixture = Self.running()
            let start = fixture.now.offset
            _ = try fixture.machine.drain(plannedGraceUpTo: .seconds(30), cause: .application, at: fixture.now)
            fixture.now = fixture.later(.seconds(1))
            let action = fixture.machine.gracePlanned(suggested, at: fixture.now)
            #expect(fixture.machine.deadline == start + .seconds(30))
            #expect(fixture.machine.grace == .seconds(30))
            let message = try #require(action.events.last?.message)
            #expect(message.hasPrefix("grace planned: 29s, the cap"), "\(message)")
        }
    }

    @Test("with a lame duck, the plan is asked for as draining begins, on the jobs in flight then")
    func lameDuck() throws {
        var fixture = Self.running(lameDuck: .seconds(5))
        let (phase, action) = try fixture.machine.drain(
            plannedGraceUpTo: .seconds(60), cause: .application, at: fixture.now)
        #expect(phase == .lameDuck)
        #expect(!action.planGrace, "planned before the lame duck ended")
        #expect(action.events.last?.message.contains("then a drain with a planned grace of at most 1m") == true)
        let timer = try #require(fixture.machine.timer)
        fixture.now = fixture.later(.seconds(5))
        let draining = fixture.machine.timerFired(timer.generation, at: fixture.now)
        #expect(fixture.machine.phase == .draining)
        #expect(draining.planGrace)
        _ = fixture.machine.gracePlanned(4, at: fixture.now)
        #expect(fixture.machine.deadline == fixture.now.offset + .seconds(4))
    }

    @Test("while draining, a plan counts from now and within a cap from now")
    func whileDraining() throws {
        var fixture = Self.running()
        _ = try fixture.machine.drain(grace: .seconds(10), cause: .application, at: fixture.now)
        fixture.now = fixture.later(.seconds(8))
        let (_, action) = try fixture.machine.drain(
            plannedGraceUpTo: .seconds(20), cause: .application, at: fixture.now)
        #expect(action.planGrace)
        _ = fixture.machine.gracePlanned(45, at: fixture.now)
        #expect(fixture.machine.deadline == fixture.now.offset + .seconds(20))
        #expect(fixture.machine.grace == .seconds(28))
    }

    @Test("a grace given, a deadline moved or a force before the plan comes back: the plan yields or follows")
    func superseded() throws {
        var fixture = Self.running()
        _ = try fixture.machine.drain(plannedGraceUpTo: .seconds(300), cause: .application, at: fixture.now)
        _ = try fixture.machine.drain(grace: .seconds(7), cause: .application, at: fixture.now)
        #expect(fixture.machine.gracePlanned(100, at: fixture.now).isEmpty, "a plan replaced an explicit grace")
        #expect(fixture.machine.deadline == fixture.now.offset + .seconds(7))

        // An extend moves the pending plan's cap with the deadline.
        _ = try fixture.machine.drain(plannedGraceUpTo: .seconds(20), cause: .application, at: fixture.now)
        _ = try fixture.machine.moveDeadline(by: .seconds(-15), cause: .application, at: fixture.now)
        #expect(fixture.machine.plan?.cap == .seconds(5))
        _ = fixture.machine.gracePlanned(100, at: fixture.now)
        #expect(fixture.machine.deadline == fixture.now.offset + .seconds(5))

        _ = try fixture.machine.drain(plannedGraceUpTo: .seconds(20), cause: .application, at: fixture.now)
        _ = fixture.machine.force(cause: .application, at: fixture.now)
        #expect(fixture.machine.plan == nil)
        #expect(fixture.machine.gracePlanned(1, at: fixture.now).isEmpty, "a plan moved the deadline of a forced drain")
    }

    @Test("tracked operations have no forecast: with one in flight the plan takes the cap")
    func operations() throws {
        var fixture = Fixture()
        fixture.enter(.running)
        #expect(!fixture.machine.operations.isEmpty)
        let start = fixture.now.offset
        _ = try fixture.machine.drain(plannedGraceUpTo: .seconds(40), cause: .application, at: fixture.now)
        let action = fixture.machine.gracePlanned(3, at: fixture.now)
        #expect(fixture.machine.deadline == start + .seconds(40))
        #expect(action.events.last?.message.contains("1 tracked operations in flight") == true)
    }

    @Test("with nothing in flight the plan is a second, and the drain stops only once its plan is made")
    func nothingInFlight() throws {
        var fixture = Fixture()
        fixture.load()
        _ = try fixture.machine.drain(plannedGraceUpTo: .seconds(300), cause: .application, at: fixture.now)
        guard case .wait = fixture.machine.nextStep(at: fixture.now).0 else {
            Issue.record("the drain stopped before its plan was made")
            return
        }
        let action = fixture.machine.gracePlanned(0, at: fixture.now)
        #expect(fixture.machine.deadline == fixture.now.offset + .seconds(1))
        #expect(action.wake)
        guard case .stop = fixture.machine.nextStep(at: fixture.now).0 else {
            Issue.record("the drain did not stop once planned")
            return
        }
    }

    @Test("a pool plans on the jobs the drain begins with, a job started after the operator's look included")
    func pool() async throws {
        let h = try PoolHarness(concurrency: 12)
        try await h.start()
        try await h.learnFourSecondWaitJobs()
        for _ in 0..<2 { try await h.pool.submit(kind: "wait", payload: Data([2])) }
        try await eventually("two jobs started") { h.gates[2].arrivals == 2 }
        let looked = try #require(h.snapshot().plan?.suggestedGraceSeconds)

        // One more starts between the operator's look and the drain: the plan must wait for it too.
        try await h.pool.submit(kind: "wait", payload: Data([2]))
        try await eventually("the third job started") { h.gates[2].arrivals == 3 }
        let three = try #require(h.snapshot().plan?.suggestedGraceSeconds)
        #expect(three > looked, "a third job did not lengthen the plan")

        try h.pool.drain(plannedGraceUpTo: .seconds(300))
        let draining = h.snapshot()
        #expect(draining.phase == .draining)
        #expect(draining.graceSeconds == three.rounded(.up))
        #expect(draining.secondsLeft == three.rounded(.up), "the manual clock stood still")
        let planned = try #require(draining.recentEvents.last { $0.kind == .deadlineChanged })
        #expect(planned.message.hasPrefix("grace planned: "))
        h.gates[2].open()
        try await h.finished()
    }
}
