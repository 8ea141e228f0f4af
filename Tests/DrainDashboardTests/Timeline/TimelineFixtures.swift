import DrainProtocol
import Foundation

/// Hand-made drains for the timeline's golden tests: fixed times, so the pictures are the same bytes.
enum TimelineFixtures {
    /// 2026-12-07 06:00:00 UTC: every fixture's drain starts here.
    static let start = Date(timeIntervalSince1970: 1_796_623_200)

    static func at(_ seconds: Double) -> Date { start.addingTimeInterval(seconds) }

    /// Three jobs, all done well before the 30 s deadline, as forecast.
    static var clean: DrainHistoryEntry {
        let lanes = [
            DrainTimeline.Lane(
                id: 101, kind: "email", startedAt: at(-4), endedAt: at(1.5), fate: .done, pMissAtStart: 0),
            DrainTimeline.Lane(
                id: 102, kind: "thumbnail", startedAt: at(-2), endedAt: at(3), fate: .done, pMissAtStart: 0.02),
            DrainTimeline.Lane(id: nil, kind: "GET /sleep", startedAt: at(-0.5), endedAt: at(0.8), fate: .done),
        ]
        let report = ShutdownReport(
            outcome: .clean, name: "mailer", pid: 311, cause: DrainCause(source: .signal, signal: "SIGTERM"),
            drainStartedAt: start, stoppedAt: at(3.1), drainSeconds: 3.1, graceSeconds: 30, inFlightAtDrainStart: 3,
            completed: 3, failed: 0, cancelled: 0, requeued: 0, recovered: 0, rejected: 0, queued: 0, jobs: [],
            completedOperations: 1,
            timeline: DrainTimeline(
                drainStartedAt: start, deadlines: [.init(at: start, deadline: at(30))], lanes: lanes,
                forecast: .init(etaP50Seconds: 2.5, etaP90Seconds: 4, expectedMisses: 0.02)))
        return DrainHistoryEntry(id: 7, host: "web-1", report: report)
    }

    /// A 10 s grace forced: two jobs done, one failed, three cut (one abandoned); the forecast had warned.
    static var forced: DrainHistoryEntry {
        let lanes = [
            DrainTimeline.Lane(
                id: 201, kind: "report", startedAt: at(-20), endedAt: at(12), fate: .cancelled, pMissAtStart: 0.9),
            DrainTimeline.Lane(
                id: 202, kind: "email", startedAt: at(-3), endedAt: at(2), fate: .done, pMissAtStart: 0.01),
            DrainTimeline.Lane(
                id: 203, kind: "export", startedAt: at(-8), endedAt: at(12), fate: .abandoned, pMissAtStart: 0.75),
            DrainTimeline.Lane(
                id: 204, kind: "thumbnail", startedAt: at(-1), endedAt: at(6), fate: .failed, pMissAtStart: 0.2),
            DrainTimeline.Lane(
                id: 205, kind: "email", startedAt: at(-0.5), endedAt: at(4), fate: .done, pMissAtStart: 0.05),
            DrainTimeline.Lane(
                id: 206, kind: "report", startedAt: at(-6), endedAt: at(10.2), fate: .cancelled, pMissAtStart: 0.6),
        ]
        let report = ShutdownReport(
            outcome: .forced, name: "billing", pid: 4242, cause: DrainCause(source: .signal, signal: "SIGTERM"),
            drainStartedAt: start, stoppedAt: at(12.1), drainSeconds: 12.1, graceSeconds: 10, inFlightAtDrainStart: 6,
            completed: 2, failed: 1, cancelled: 3, requeued: 3, recovered: 0, rejected: 0, queued: 3,
            jobs: [
                .init(id: 201, kind: "report", ranSeconds: 32, fate: "cancelled", requeued: true),
                .init(id: 203, kind: "export", ranSeconds: 20, fate: "abandoned", requeued: true),
                .init(id: 206, kind: "report", ranSeconds: 16.2, fate: "cancelled", requeued: true),
            ],
            timeline: DrainTimeline(
                drainStartedAt: start, forcedAt: at(10), deadlines: [.init(at: start, deadline: at(10))], lanes: lanes,
                forecast: .init(etaP50Seconds: 9, etaP90Seconds: nil, expectedMisses: 2.3)))
        return DrainHistoryEntry(id: 42, host: "web-2", report: report)
    }

    /// A 5 s grace extended at +3 s to 15 s by an operator: both jobs finish in time, after a lame duck.
    static var moved: DrainHistoryEntry {
        let lanes = [
            DrainTimeline.Lane(
                id: 301, kind: "import", startedAt: at(-3), endedAt: at(11), fate: .done, pMissAtStart: 0.7),
            DrainTimeline.Lane(
                id: 302, kind: "import", startedAt: at(-1), endedAt: at(6), fate: .done, pMissAtStart: 0.4),
        ]
        let report = ShutdownReport(
            outcome: .clean, name: "importer", pid: 77, cause: DrainCause(source: .client, pid: 900, uid: 1000),
            drainStartedAt: start, stoppedAt: at(11.05), drainSeconds: 11.05, graceSeconds: 15, inFlightAtDrainStart: 2,
            completed: 2, failed: 0, cancelled: 0, requeued: 0, recovered: 0, rejected: 0, queued: 0, jobs: [],
            timeline: DrainTimeline(
                lameDuckStartedAt: at(-2), drainStartedAt: start,
                deadlines: [
                    .init(at: start, deadline: at(5)),
                    .init(at: at(3), deadline: at(15), cause: DrainCause(source: .client, pid: 901, uid: 1000)),
                ],
                lanes: lanes, forecast: .init(etaP50Seconds: 8, etaP90Seconds: 12, expectedMisses: 1.1)))
        return DrainHistoryEntry(id: 3, host: "batch-1", report: report)
    }

    static let all: [(name: String, entry: DrainHistoryEntry)] = [
        ("clean", clean), ("forced", forced), ("moved", moved),
    ]
}
