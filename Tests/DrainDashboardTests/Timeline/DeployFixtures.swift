import DrainFleet
import DrainProtocol
import Foundation

/// A hand-made rolling deploy of three workers for the deploy view's golden tests: fixed times, so the
/// pictures are the same bytes.
///
/// web-1 is forced at +10 s and cuts three jobs: #201 goes to web-2, #202 to web-3, #203 waits in the
/// queue. web-2 drains cleanly at +15 s with #201 finished. web-3 is forced at +40 s and cuts #202 again,
/// which the new web-1 (pid 111) takes.
enum DeployFixtures {
    static let start = TimelineFixtures.start
    static func at(_ seconds: Double) -> Date { start.addingTimeInterval(seconds) }

    static let web1 = FleetDeploy.Worker(
        id: "00000000-0000-0000-0000-000000000001", name: "web-1", host: "node-a", pid: 101)
    static let web2 = FleetDeploy.Worker(
        id: "00000000-0000-0000-0000-000000000002", name: "web-2", host: "node-b", pid: 102)
    static let web3 = FleetDeploy.Worker(
        id: "00000000-0000-0000-0000-000000000003", name: "web-3", host: "node-c", pid: 103)
    static let newWeb1 = FleetDeploy.Worker(
        id: "00000000-0000-0000-0000-000000000004", name: "web-1", host: "node-a", pid: 111)

    static func drain(
        _ id: Int64, _ worker: FleetDeploy.Worker, start: Double, stop: Double, forcedAt: Double?,
        lanes: [DrainTimeline.Lane], cut: [(JobID, String)]
    ) -> (drain: FleetDeploy.Drain, worker: FleetDeploy.Worker) {
        let report = ShutdownReport(
            outcome: forcedAt == nil ? .clean : .forced, name: "billing", pid: worker.pid,
            cause: DrainCause(source: .signal, signal: "SIGTERM"), drainStartedAt: at(start), stoppedAt: at(stop),
            drainSeconds: stop - start, graceSeconds: 10, inFlightAtDrainStart: lanes.count,
            completed: lanes.count - cut.count, failed: 0, cancelled: cut.count, requeued: cut.count, recovered: 0,
            rejected: 0, queued: 0,
            jobs: cut.map { .init(id: $0.0, kind: $0.1, ranSeconds: 12, fate: "cancelled", requeued: true) },
            timeline: DrainTimeline(
                lameDuckStartedAt: at(start - 2), drainStartedAt: at(start), forcedAt: forcedAt.map(at),
                deadlines: [.init(at: at(start), deadline: at(start + 10))], lanes: lanes))
        let entry = DrainHistoryEntry(id: id, host: worker.host, worker: worker.name, fleet: "shop", report: report)
        return (FleetDeploy.Drain(entry: entry, worker: worker.id), worker)
    }

    static var deploy: FleetDeploy {
        let first = drain(
            41, web1, start: 0, stop: 10.3, forcedAt: 10,
            lanes: [
                .init(id: 200, kind: "email", startedAt: at(-1), endedAt: at(2), fate: .done),
                .init(id: 201, kind: "report", startedAt: at(-8), endedAt: at(10.2), fate: .cancelled),
                .init(id: 202, kind: "export", startedAt: at(-6), endedAt: at(10.2), fate: .cancelled),
                .init(id: 203, kind: "report", startedAt: at(-3), endedAt: at(10.3), fate: .abandoned),
            ],
            cut: [(201, "report"), (202, "export"), (203, "report")])
        let second = drain(
            42, web2, start: 15, stop: 21, forcedAt: nil,
            lanes: [.init(id: 201, kind: "report", startedAt: at(10.5), endedAt: at(20.5), fate: .done)], cut: [])
        let third = drain(
            43, web3, start: 30, stop: 40.2, forcedAt: 40,
            lanes: [.init(id: 202, kind: "export", startedAt: at(10.6), endedAt: at(40.1), fate: .cancelled)],
            cut: [(202, "export")])
        let jobs: [JobID: FleetDeploy.JobRow] = [
            201: .init(state: .done, worker: web2, startedAt: at(10.5)),
            202: .init(state: .running, worker: newWeb1, startedAt: at(41)),
            203: .init(state: .queued, worker: nil, startedAt: nil),
        ]
        // Given out of order: the deploy sorts its drains by their start.
        return FleetDeploy(fleet: "shop", drains: [third, first, second], jobs: jobs)
    }
}
