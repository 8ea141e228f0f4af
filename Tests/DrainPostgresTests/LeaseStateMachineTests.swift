import Foundation
import Testing

@testable import DrainPostgres

@Suite("Lease state machine")
struct LeaseStateMachineTests {
    let me = UUID()
    let peer = UUID()

    // MARK: Scheduling

    @Test("the first beat and sweep are due at once, then once per heartbeat")
    func schedule() {
        var machine = LeaseStateMachine(heartbeat: .seconds(1), lease: .seconds(5), now: .zero)
        let first = machine.due(now: .zero)
        #expect(first.actions == [.sweep, .beat])
        #expect(first.next == .seconds(1))
        #expect(machine.due(now: .milliseconds(500)).actions.isEmpty)
        #expect(machine.due(now: .seconds(1)).actions == [.sweep, .beat])
    }

    @Test("while the database does not answer only the heartbeat keeps trying")
    func unreachableStopsSweeps() {
        var machine = LeaseStateMachine(heartbeat: .seconds(1), lease: .seconds(5), now: .zero)
        _ = machine.due(now: .zero)
        let wentAway = machine.beatFailed(now: .zero)
        #expect(wentAway)
        let again = machine.beatFailed(now: .seconds(1))
        #expect(!again, "unreachable is reported once, not per beat")
        #expect(machine.due(now: .seconds(1)).actions == [.beat])
        let back = machine.beatSucceeded(now: .seconds(2))
        #expect(back, "coming back is reported")
        #expect(machine.due(now: .seconds(2)).actions == [.sweep, .beat])
    }

    @Test("this worker holds its lease only while its last heartbeat is younger than the lease")
    func holdsLease() {
        var machine = LeaseStateMachine(heartbeat: .seconds(1), lease: .seconds(5), now: .zero)
        #expect(!machine.holdsLease(now: .zero), "no heartbeat written yet")
        _ = machine.beatSucceeded(now: .seconds(1))
        #expect(machine.holdsLease(now: .seconds(5)))
        _ = machine.beatFailed(now: .seconds(2))
        #expect(machine.holdsLease(now: .milliseconds(5_900)))
        #expect(!machine.holdsLease(now: .seconds(6)))
    }

    // MARK: Who is dead

    @Test("a peer silent for longer than its lease is dead; one that keeps beating is not, however slow its jobs")
    func silence() {
        let machine = LeaseStateMachine(heartbeat: .seconds(1), lease: .seconds(5), now: .zero)
        let slow = LeaseStateMachine.Peer(id: peer, silence: .milliseconds(900), lease: .seconds(5), stopped: false)
        #expect(machine.deadPeers([slow], me: me).isEmpty)
        let silent = LeaseStateMachine.Peer(id: peer, silence: .milliseconds(5_001), lease: .seconds(5), stopped: false)
        #expect(machine.deadPeers([silent], me: me) == [peer])
        let atLease = LeaseStateMachine.Peer(id: peer, silence: .seconds(5), lease: .seconds(5), stopped: false)
        #expect(machine.deadPeers([atLease], me: me).isEmpty, "not before the lease has run out")
    }

    @Test("each peer is judged by its own lease, not the rescuer's")
    func ownLease() {
        let machine = LeaseStateMachine(heartbeat: .seconds(1), lease: .seconds(2), now: .zero)
        let patient = LeaseStateMachine.Peer(id: peer, silence: .seconds(8), lease: .seconds(30), stopped: false)
        #expect(machine.deadPeers([patient], me: me).isEmpty)
        let unknown = LeaseStateMachine.Peer(id: peer, silence: .seconds(3), lease: nil, stopped: false)
        #expect(machine.deadPeers([unknown], me: me) == [peer], "without a lease of its own, the rescuer's counts")
    }

    @Test("a stopped peer or one without a row is dead at once; this worker never rescues itself")
    func stoppedAndSelf() {
        let machine = LeaseStateMachine(heartbeat: .seconds(1), lease: .seconds(5), now: .zero)
        let stopped = LeaseStateMachine.Peer(id: peer, silence: .zero, lease: .seconds(5), stopped: true)
        let other = UUID()
        let rowless = LeaseStateMachine.Peer(id: other, silence: nil, lease: nil, stopped: false)
        #expect(Set(machine.deadPeers([stopped, rowless], me: me)) == [peer, other])
        let myself = LeaseStateMachine.Peer(id: me, silence: .seconds(60), lease: .seconds(5), stopped: true)
        #expect(machine.deadPeers([myself], me: me).isEmpty)
    }
}
