import Foundation
import Testing

@testable import Drain

/// The pool's logic without a clock, a task or a lock: events in, actions out, in microseconds.
@Suite("Pool state machine")
struct PoolStateMachineTests {
    // MARK: Every phase × every event

    /// One event the machine takes, as the table names it.
    enum Event: String, CaseIterable, CustomStringConvertible {
        case submit, appended, appendFailed, nextStep, claimed, jobDone, jobFailed, jobCancelled
        case operationStart, operationEnd, timerFired, drain, drainPlanned, planned, extend, shorten, force
        case sigterm, sigquit, journalDown, journalUp, news, rescued, audit, stopped, tick

        var description: String { rawValue }
    }

    /// What an event must do in a phase: the phase after it, or the error it throws.
    enum Expect: Equatable {
        case phase(DrainPhase)
        case error(DrainError.Code)
    }

    static let running = DrainPhase.running
    static let lameDuck = DrainPhase.lameDuck
    static let draining = DrainPhase.draining
    static let forcing = DrainPhase.forcing
    static let stopped = DrainPhase.stopped

    /// The documented transitions; an event not listed for a phase leaves the phase as it is.
    static let table: [Event: [DrainPhase: Expect]] = [
        .submit: [
            draining: .error(.notAccepting), forcing: .error(.notAccepting), stopped: .error(.notAccepting),
        ],
        .operationStart: [
            draining: .error(.notAccepting), forcing: .error(.notAccepting), stopped: .error(.notAccepting),
        ],
        .timerFired: [lameDuck: .phase(draining), draining: .phase(forcing)],
        .drain: [running: .phase(lameDuck)],
        .drainPlanned: [running: .phase(lameDuck)],
        .extend: [running: .error(.notRunning), forcing: .error(.notRunning), stopped: .error(.notRunning)],
        .shorten: [running: .error(.notRunning), forcing: .error(.notRunning), stopped: .error(.notRunning)],
        .force: [running: .phase(forcing), lameDuck: .phase(forcing), draining: .phase(forcing)],
        .sigterm: [running: .phase(lameDuck), lameDuck: .phase(forcing), draining: .phase(forcing)],
        .sigquit: [running: .phase(forcing), lameDuck: .phase(forcing), draining: .phase(forcing)],
        .stopped: [draining: .phase(stopped), forcing: .phase(stopped)],
    ]

    static func expected(_ event: Event, in phase: DrainPhase) -> Expect {
        table[event]?[phase] ?? .phase(phase)
    }

    @Test(
        "every phase × every event does what the design says", arguments: DrainPhase.allCases, Event.allCases)
    func phaseByEvent(phase: DrainPhase, event: Event) throws {
        var fixture = Fixture(lameDuck: .seconds(5))
        fixture.enter(phase)
        let before = fixture.machine
        let outcome = fixture.apply(event)
        #expect(outcome == Self.expected(event, in: phase), "\(event) in \(phase)")
        let after = fixture.machine
        #expect(after.phase >= before.phase, "the phase moved back")
        // Once draining, nothing new starts and nothing is admitted.
        if before.phase >= .draining {
            #expect(after.inFlight.count <= before.inFlight.count, "\(event) started a job in \(phase)")
            #expect(after.operations.count <= before.operations.count)
            #expect(after.waiters.isEmpty)
        }
        // The deadline moves only by a drain request, extend/shorten, or the start of draining.
        if after.deadline != before.deadline {
            #expect(
                [.drain, .planned, .extend, .shorten, .timerFired, .force, .sigterm, .sigquit].contains(event),
                "\(event) moved the deadline")
        }
        // A phase change or a deadline move is published at once, not at the next tick.
        if after.phase != before.phase || after.deadline != before.deadline {
            #expect(fixture.lastAction.publishSnapshot, "\(event) in \(phase) changed the drain unpublished")
        }
        if phase == .stopped {
            let action = fixture.lastAction
            #expect(action.cancelJobs.isEmpty && action.armTimer == nil && action.resumeWaiters.isEmpty)
            #expect(action.armTick == nil && !action.publishSnapshot, "\(event) ticked after the stop")
            #expect(action.events.isEmpty || event == .audit, "\(event) published an event after the stop")
        }
    }

    @Test("the snapshot tick publishes and re-arms itself one interval on, until the pool stops")
    func tick() {
        var fixture = Fixture()
        fixture.enter(.draining)
        let armed = fixture.machine.tickGeneration
        let action = fixture.machine.tickFired(armed, at: fixture.now)
        #expect(action.publishSnapshot)
        #expect(action.armTick == .init(generation: armed + 1, deadline: fixture.now.offset + .milliseconds(100)))
        #expect(action.events.isEmpty && !action.wake)
        // The tick just replaced fires late (its task was started before it was stored): it is ignored.
        #expect(fixture.machine.tickFired(armed, at: fixture.now).isEmpty)
        fixture.enter(.stopped)
        #expect(fixture.machine.tickFired(fixture.machine.tickGeneration, at: fixture.now).isEmpty)
    }

    /// The runner starts a tick's task, then stores it under the lock. On a loaded machine that task can
    /// fire and arm the next tick in between, so the newer tick arrives first; it must stay armed.
    @Test("a tick stored after the newer tick it armed is dropped, and the newer one stays armed")
    func tickAdoptedOutOfOrder() async {
        var fixture = Fixture()
        fixture.load()
        var core = PoolCore(machine: fixture.machine)
        let older = Task<Void, Never> {}
        let newer = Task<Void, Never> {}
        let first = PoolStateMachine.Timer(generation: 1, deadline: .seconds(1))
        let second = PoolStateMachine.Timer(generation: 2, deadline: .seconds(2))
        #expect(core.adopt(tick: second, task: newer) == nil)
        #expect(core.adopt(tick: first, task: older) == older, "the older tick is the one cancelled")
        #expect(core.tick?.generation == 2 && core.tick?.task == newer)
        // In order, the older is replaced and handed back to be cancelled.
        let third = Task<Void, Never> {}
        #expect(core.adopt(tick: .init(generation: 3, deadline: .seconds(3)), task: third) == newer)
        #expect(core.tick?.task == third)
    }

    @Test("forcing cancels every job and operation in flight and arms the cancellation window")
    func forcingCancels() {
        var fixture = Fixture()
        fixture.enter(.draining)
        let action = fixture.machine.force(cause: .application, at: fixture.now)
        #expect(action.cancelJobs == fixture.machine.inFlight.entries.keys.sorted())
        #expect(action.cancelOperations.count == 1)
        #expect(action.armTimer?.deadline == fixture.now.offset + .seconds(2))
        #expect(action.events.map(\.kind) == [.phaseChanged])
    }

    @Test("a stale timer is ignored: a moved deadline replaces the armed one")
    func staleTimer() throws {
        var fixture = Fixture()
        fixture.enter(.draining)
        let first = try #require(fixture.machine.timer)
        _ = try fixture.machine.moveDeadline(by: .seconds(10), cause: .application, at: fixture.now)
        let action = fixture.machine.timerFired(first.generation, at: fixture.later(.seconds(10)))
        #expect(action.isEmpty)
        #expect(fixture.machine.phase == .draining)
        #expect(fixture.machine.deadline == first.deadline + .seconds(10))
    }

    @Test("a full queue makes submits wait, oldest first, and a drain refuses the waiters")
    func backPressure() throws {
        var fixture = Fixture(maxQueued: 2)
        fixture.load()
        #expect(try fixture.machine.submitRequested(kind: "k") == .reserved)
        #expect(try fixture.machine.submitRequested(kind: "k") == .reserved)
        guard case .wait(let first) = try fixture.machine.submitRequested(kind: "k"),
            case .wait(let second) = try fixture.machine.submitRequested(kind: "k")
        else { Issue.record("a full queue admitted a submit"); return }
        #expect(fixture.machine.waiterRegistered(first, cancelled: false).isEmpty)
        #expect(fixture.machine.waiterRegistered(second, cancelled: false).isEmpty)
        #expect(fixture.machine.appendFailed().resumeWaiters == [first])
        let action = fixture.machine.force(cause: .application, at: fixture.now)
        #expect(action.refuseWaiters == [second])
        #expect(fixture.machine.rejected == 1)
    }

    @Test("a shared journal's news: queue count, reachability and rescued jobs")
    func sharedNews() {
        var fixture = Fixture()
        fixture.load(shared: true)
        let action = fixture.machine.journalUpdate(
            JournalUpdate(queued: 7, rescued: 2, reachable: false), at: fixture.now)
        #expect(fixture.machine.queued == 7)
        #expect(fixture.machine.recovered == 2)
        #expect(fixture.machine.journalReachable == false)
        #expect(action.events.map(\.kind) == [.recovered])
        #expect(action.metrics.recovered == 2)
        let retried = fixture.machine.outcomeWriteFailed()
        #expect(retried, "a shared journal's outcome is retried while draining")
    }

    @Test("the report's timeline has a lane per job in flight, its fate, the deadline moves and the forcing")
    func timeline() throws {
        var fixture = Fixture()
        fixture.enter(.running)
        _ = fixture.machine.claimed([fixture.job()], requested: 1, at: fixture.now)
        _ = try fixture.machine.drain(grace: .seconds(10), cause: .application, at: fixture.now)
        let ids = fixture.machine.inFlight.entries.keys.sorted()
        #expect(ids.count == 2)
        fixture.now = fixture.later(.seconds(1))
        _ = fixture.machine.jobSettled(ids[0], result: .done, journalFailed: false, at: fixture.now)
        _ = try fixture.machine.moveDeadline(by: .seconds(-5), cause: .application, at: fixture.now)
        fixture.now = fixture.later(.seconds(5))
        let deadline = try #require(fixture.machine.timer)
        _ = fixture.machine.timerFired(deadline.generation, at: fixture.now)
        _ = fixture.machine.jobSettled(ids[1], result: .requeued, journalFailed: false, at: fixture.now)
        let operation = try #require(fixture.machine.operations.keys.first)
        _ = fixture.machine.operationEnded(operation, succeeded: false, cancelled: true, at: fixture.now)
        guard case .stop = fixture.machine.nextStep(at: fixture.now).0 else {
            Issue.record("the drain did not stop")
            return
        }
        let report = fixture.machine.stopped(at: fixture.now, pid: 1).0
        let timeline = try #require(report.timeline)
        #expect(timeline.lanes.map(\.fate) == [.done, .cancelled, .cancelled])
        #expect(timeline.lanes.map(\.id) == [ids[0], ids[1], nil])
        #expect(timeline.deadlines.count == 2)
        #expect(timeline.deadlines[1].deadline == timeline.deadlines[0].deadline.addingTimeInterval(-5))
        #expect(timeline.forcedAt == fixture.now.date)
        #expect(timeline.lanes.allSatisfy { $0.endedAt != nil })
        #expect(timeline.lanesOmitted == 0)
    }

    // MARK: Random sequences

    @Test("random event sequences keep every invariant", arguments: 0..<64)
    func randomSequences(seed: Int) throws {
        var run = RandomRun(seed: UInt64(seed))
        for _ in 0..<300 { try run.step() }
        try run.finish()
    }
}

/// A machine brought into a phase, with one job in flight, one queued, and one tracked operation.
struct Fixture {
    var machine: PoolStateMachine
    var now = PoolStateMachine.Now(offset: .seconds(100), date: Date(timeIntervalSince1970: 1_000_000))
    var lastAction = PoolStateMachine.Action()
    var nextID: JobID = 1

    init(lameDuck: Duration = .zero, maxQueued: Int = 100) {
        var configuration = WorkerPoolConfiguration(name: "machine")
        configuration.maxConcurrentJobs = 4
        configuration.maxQueuedJobs = maxQueued
        configuration.defaultGrace = .seconds(10)
        configuration.lameDuck = lameDuck
        configuration.cancellationWindow = .seconds(2)
        machine = PoolStateMachine(configuration: configuration)
        machine.register(kind: "k", declared: nil)
    }

    func later(_ duration: Duration) -> PoolStateMachine.Now {
        PoolStateMachine.Now(offset: now.offset + duration, date: now.date.addingTimeInterval(duration.seconds))
    }

    mutating func load(shared: Bool = false) {
        try? machine.runRequested()
        _ = machine.loaded(queued: 0, shared: shared, recovered: 0, history: [:], at: now)
    }

    /// One job started and one queued, one operation in flight, then the drain brought to `phase`.
    mutating func enter(_ phase: DrainPhase) {
        load()
        _ = try? machine.submitRequested(kind: "k")
        _ = machine.appended()
        if case .claim(let count) = machine.nextStep(at: now).0 {
            _ = machine.claimed([job()], requested: count, at: now)
        }
        _ = try? machine.submitRequested(kind: "k")
        _ = machine.appended()
        _ = try? machine.operationRequested("GET /", at: now)
        switch phase {
        case .running: break
        case .lameDuck: _ = try? machine.drain(grace: nil, cause: .application, at: now)
        case .draining:
            _ = try? machine.drain(grace: nil, cause: .application, at: now)
            if machine.phase == .lameDuck, let timer = machine.timer {
                _ = machine.timerFired(timer.generation, at: now)
            }
        case .forcing: _ = machine.force(cause: .application, at: now)
        case .stopped:
            _ = machine.force(cause: .application, at: now)
            if let timer = machine.timer { _ = machine.timerFired(timer.generation, at: later(.seconds(2))) }
            if case .abandon = machine.nextStep(at: later(.seconds(2))).0 {}
            if case .stop = machine.nextStep(at: later(.seconds(2))).0 {
                _ = machine.stopped(at: later(.seconds(2)), pid: 1)
            }
        }
        precondition(machine.phase == phase, "the fixture could not reach \(phase)")
    }

    mutating func job() -> Job {
        defer { nextID += 1 }
        return Job(id: nextID, kind: "k", payload: Data(), attempt: 1)
    }

    /// Applies one event; returns the phase after it, or the error it threw.
    mutating func apply(_ event: PoolStateMachineTests.Event) -> PoolStateMachineTests.Expect {
        let id = machine.inFlight.entries.keys.first ?? 0
        do {
            switch event {
            case .submit: _ = try machine.submitRequested(kind: "k")
            case .appended: lastAction = machine.appended()
            case .appendFailed: lastAction = machine.appendFailed()
            case .nextStep: lastAction = machine.nextStep(at: now).1
            case .claimed: lastAction = machine.claimed([job()], requested: 1, at: now).action
            case .jobDone: lastAction = machine.jobSettled(id, result: .done, journalFailed: false, at: now)
            case .jobFailed: lastAction = machine.jobSettled(id, result: .failed("x"), journalFailed: false, at: now)
            case .jobCancelled: lastAction = machine.jobSettled(id, result: .requeued, journalFailed: false, at: now)
            case .operationStart: lastAction = try machine.operationRequested("GET /", at: now).1
            case .operationEnd:
                lastAction = machine.operationEnded(
                    machine.operations.keys.first ?? 99, succeeded: true, cancelled: false, at: now)
            case .timerFired:
                lastAction = machine.timerFired(machine.timer?.generation ?? -1, at: later(.seconds(60)))
            case .drain: lastAction = try machine.drain(grace: .seconds(5), cause: .application, at: now).1
            case .drainPlanned:
                lastAction = try machine.drain(plannedGraceUpTo: .seconds(5), cause: .application, at: now).1
            case .planned: lastAction = machine.gracePlanned(3, at: now)
            case .extend: lastAction = try machine.moveDeadline(by: .seconds(5), cause: .application, at: now)
            case .shorten: lastAction = try machine.moveDeadline(by: .seconds(-5), cause: .application, at: now)
            case .force: lastAction = machine.force(cause: .application, at: now)
            case .sigterm: lastAction = machine.signal(.terminate, at: now)
            case .sigquit: lastAction = machine.signal(.quit, at: now)
            case .journalDown: lastAction = machine.journalUpdate(JournalUpdate(reachable: false), at: now)
            case .journalUp: lastAction = machine.journalUpdate(JournalUpdate(reachable: true), at: now)
            case .news: lastAction = machine.journalUpdate(JournalUpdate(queued: 3, wake: true), at: now)
            case .rescued: lastAction = machine.journalUpdate(JournalUpdate(rescued: 1), at: now)
            case .audit: lastAction = machine.audit("status", cause: .application, at: now)
            case .tick: lastAction = machine.tickFired(machine.tickGeneration, at: now)
            case .stopped:
                // The dispatcher stops only when nothing is in flight: settle everything first.
                guard machine.phase >= .draining, machine.phase != .stopped else { break }
                for id in machine.inFlight.entries.keys.sorted() {
                    _ = machine.jobSettled(id, result: .done, journalFailed: false, at: now)
                }
                for id in machine.operations.keys.sorted() {
                    _ = machine.operationEnded(id, succeeded: true, cancelled: false, at: now)
                }
                guard case .stop = machine.nextStep(at: now).0 else { return .phase(machine.phase) }
                lastAction = machine.stopped(at: now, pid: 1).1
            }
        } catch {
            return .error(error.code)
        }
        return .phase(machine.phase)
    }
}

/// A seeded run of random events against the machine and a model of the journal, checking the
/// invariants after every step.
struct RandomRun {
    var fixture: Fixture
    var rng: SplitMix
    /// The journal: queued jobs in order, and where every accepted job is.
    var journalQueue: [JobID] = []
    var running: Set<JobID> = []
    var done: Set<JobID> = []
    var failed: Set<JobID> = []
    var accepted: Set<JobID> = []
    var waiting: [UInt64] = []
    var operations: Set<UInt64> = []
    /// Tracked operations that completed or failed: the report counts them with the jobs.
    var operationsCompleted = 0
    var operationsFailed = 0
    var stopped = false
    var previousPhase = DrainPhase.running
    /// The runner was asked for a plan and has not answered yet: other events may come first.
    var planAsked = false

    init(seed: UInt64) {
        rng = SplitMix(seed: seed)
        fixture = Fixture(lameDuck: seed % 2 == 0 ? .zero : .seconds(1), maxQueued: 6)
        fixture.load()
    }

    var machine: PoolStateMachine { fixture.machine }

    mutating func advance() { fixture.now = fixture.later(.milliseconds(Int64(rng.next(1000)))) }

    mutating func accept() {
        let id = fixture.job().id
        accepted.insert(id)
        journalQueue.append(id)
        absorb(fixture.machine.appended())
    }

    /// Runs what an action hands to the runner: admitted waiters go on to append.
    mutating func absorb(_ action: PoolStateMachine.Action) {
        for ticket in action.resumeWaiters {
            waiting.removeAll { $0 == ticket }
            accept()
        }
        for ticket in action.refuseWaiters { waiting.removeAll { $0 == ticket } }
        // The runner answers a plan later, at a step of its own, so that forces, extends, other drains,
        // timers and the dispatcher can come between the request and the answer.
        if action.planGrace { planAsked = true }
    }

    /// The runner's plan: any answer, none within a day included, and the deadline within the cap.
    mutating func answerPlan() {
        planAsked = false
        let plan = machine.plan
        let suggested: Double? = rng.next(5) == 0 ? nil : Double(rng.next(40_000)) / 1000
        absorb(fixture.machine.gracePlanned(suggested, at: fixture.now))
        if let plan, let started = machine.drainStarted, let deadline = machine.deadline, machine.phase == .draining {
            let limit = (plan.from ?? started) + plan.cap
            #expect(deadline <= limit, "the plan set a deadline past its cap")
            // In the past only when the cap itself has passed (an answer later than the cap).
            #expect(deadline >= min(fixture.now.offset, limit), "the plan set a deadline in the past")
        }
        #expect(machine.plan == nil, "the plan stayed pending once answered")
    }

    mutating func step() throws {
        advance()
        let before = machine
        if planAsked, rng.next(3) == 0 {
            answerPlan()
            try check(before: before)
            return
        }
        let roll = rng.next(100)
        switch roll {
        case 0..<30:
            if let decision = try? fixture.machine.submitRequested(kind: "k") {
                switch decision {
                case .reserved: accept()
                case .wait(let ticket):
                    waiting.append(ticket)
                    absorb(fixture.machine.waiterRegistered(ticket, cancelled: false))
                }
            }
        case 30..<55:
            try dispatch()
        case 55..<80:
            guard let id = running.randomElement(using: &rng) else { break }
            let result: JobOutcome.Result =
                switch rng.next(10) {
                case 0: .failed("boom")
                case 1: .requeued
                default: .done
                }
            guard fixture.machine.jobFinishing(id) else { break }
            absorb(fixture.machine.jobSettled(id, result: result, journalFailed: false, at: fixture.now))
            running.remove(id)
            switch result {
            case .done: done.insert(id)
            case .failed: failed.insert(id)
            case .requeued, .released: journalQueue.append(id)
            }
        case 80..<86:
            if let timer = machine.timer {
                fixture.now = fixture.later(max(.zero, timer.deadline - fixture.now.offset))
                absorb(fixture.machine.timerFired(timer.generation, at: fixture.now))
            }
        case 86..<88:
            let grace = Duration.seconds(Int64(rng.next(20)))
            let drain =
                rng.next(2) == 0
                ? try? fixture.machine.drain(grace: grace, cause: .application, at: fixture.now)
                : try? fixture.machine.drain(plannedGraceUpTo: grace, cause: .application, at: fixture.now)
            absorb(drain?.1 ?? .init())
        case 88..<90:
            absorb(
                (try? fixture.machine.moveDeadline(
                    by: .seconds(Int64(rng.next(10)) - 5), cause: .application, at: fixture.now)) ?? .init())
        case 90..<91:
            absorb(fixture.machine.force(cause: .application, at: fixture.now))
        case 91..<93:
            absorb(fixture.machine.signal(rng.next(3) == 0 ? .quit : .terminate, at: fixture.now))
        case 93..<95:
            if let (id, action) = try? fixture.machine.operationRequested("GET /", at: fixture.now) {
                operations.insert(id)
                absorb(action)
            }
        case 95..<97:
            guard let id = operations.randomElement(using: &rng) else { break }
            operations.remove(id)
            let cancelled = machine.phase >= .forcing && rng.next(2) == 0
            let succeeded = !cancelled && rng.next(5) > 0
            absorb(fixture.machine.operationEnded(id, succeeded: succeeded, cancelled: cancelled, at: fixture.now))
            if !cancelled { succeeded ? (operationsCompleted += 1) : (operationsFailed += 1) }
        case 97..<98:
            if let ticket = waiting.randomElement(using: &rng), fixture.machine.waiterCancelled(ticket) {
                waiting.removeAll { $0 == ticket }
            }
        default:
            // A submit whose journal write fails: its slot goes to the oldest waiter.
            if (try? fixture.machine.submitRequested(kind: "k")) == .reserved {
                absorb(fixture.machine.appendFailed())
            }
        }
        try check(before: before)
    }

    /// One turn of the dispatcher: claim, abandon or stop, as the machine says.
    mutating func dispatch() throws {
        let (step, action) = fixture.machine.nextStep(at: fixture.now)
        absorb(action)
        switch step {
        case .claim(let count):
            let ids = journalQueue.prefix(count)
            journalQueue.removeFirst(ids.count)
            let jobs = ids.map { Job(id: $0, kind: "k", payload: Data(), attempt: 1) }
            let (start, release, claimed) = fixture.machine.claimed(jobs, requested: count, at: fixture.now)
            absorb(claimed)
            running.formUnion(start.map(\.id))
            journalQueue.insert(contentsOf: release.map(\.id), at: 0)
        case .abandon(let outcomes):
            operations = []
            for outcome in outcomes {
                running.remove(outcome.id)
                journalQueue.append(outcome.id)
            }
        case .stop:
            #expect(running.isEmpty && operations.isEmpty)
            absorb(fixture.machine.stopped(at: fixture.now, pid: 1).1)
            stopped = true
        case .wait:
            break
        }
    }

    func check(before: PoolStateMachine) throws {
        #expect(machine.phase >= before.phase, "the phase moved back: \(before.phase) → \(machine.phase)")
        #expect(Set(machine.operations.keys) == operations, "the machine's operations differ from the runner's")
        let inFlight = Set(machine.inFlight.entries.keys)
        #expect(inFlight == running, "the machine's jobs in flight differ from the journal's running ones")
        #expect(inFlight.isDisjoint(with: journalQueue), "a job is both queued and running")
        #expect(machine.queued == journalQueue.count, "queued \(machine.queued), the journal has \(journalQueue.count)")
        let places = [Set(journalQueue), running, done, failed]
        #expect(places.map(\.count).reduce(0, +) == accepted.count, "a job is in two places or lost")
        #expect(places.reduce(Set()) { $0.union($1) } == accepted)
        if machine.phase >= .draining {
            #expect(machine.inFlight.count <= before.inFlight.count, "a job started while draining")
            #expect(machine.waiters.isEmpty, "a submit still waits while draining")
        }
        // Jobs handed back may fill the queue past its bound; an admission never does.
        if machine.reserved > before.reserved {
            #expect(machine.queued + machine.reserved <= machine.configuration.maxQueuedJobs)
        }
        #expect(machine.inFlight.count <= machine.configuration.maxConcurrentJobs)
    }

    /// Forces the drain and plays it to its end: the machine stops, and its report adds up.
    mutating func finish() throws {
        absorb(fixture.machine.force(cause: .application, at: fixture.now))
        var turns = 0
        while !stopped {
            turns += 1
            try #require(turns < 100, "the drain never stopped")
            if let timer = machine.timer {
                fixture.now = fixture.later(max(.zero, timer.deadline - fixture.now.offset))
                absorb(fixture.machine.timerFired(timer.generation, at: fixture.now))
            }
            try dispatch()
        }
        let report = try #require(machine.report)
        #expect(report.completed == done.count + operationsCompleted)
        #expect(report.failed == failed.count + operationsFailed)
        #expect(report.queued == journalQueue.count)
        #expect(running.isEmpty)
    }
}

/// A small seeded generator, so a failing sequence is replayed by its seed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(_ bound: UInt64) -> UInt64 { next() % bound }
}
