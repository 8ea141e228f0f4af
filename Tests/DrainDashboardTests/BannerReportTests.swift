import DrainClient
import DrainDashboard
import DrainProtocol
import Foundation
import Testing

/// The end banner's link to the drain's timeline (`drainctl report 42 for the timeline`).
@Suite("The end banner names the drain")
struct BannerReportTests {
    let now = Fixtures.base

    @Test("a stopped event whose report names the drain's ID puts `drainctl report ID` in the banner and the summary")
    func bannerNamesTheID() throws {
        var state = Fixtures.state(Fixtures.snapshot(.draining))
        var report = try Fixtures.report(.forced, requeued: 2, drainSeconds: 30)
        report.historyID = 42
        state.apply(.event(Fixtures.stoppedEvent(5, report), session: state.session), at: now)
        #expect(Screen(state).contains("drainctl report 42 for the timeline"))
        #expect(
            DashboardSummary(state: state, now: now).lines.contains("drainctl top: drainctl report 42 for the timeline")
        )
    }

    @Test("a stop first seen in a snapshot, before the journal numbered the drain, gains the ID from the stopped event")
    func idArrivesAfterTheSnapshot() throws {
        var state = Fixtures.state(Fixtures.snapshot(.draining))
        var snapshot = Fixtures.snapshot(.stopped)
        snapshot.report = try Fixtures.report(.forced, requeued: 2, drainSeconds: 30)
        state.apply(.snapshot(snapshot, session: state.session), at: now)
        #expect(Screen(state).contains("STOPPED FORCED"))
        #expect(!Screen(state).contains("for the timeline"), "no ID yet: no link")
        var numbered = try #require(snapshot.report)
        numbered.historyID = 7
        state.apply(.event(Fixtures.stoppedEvent(9, numbered), session: state.session), at: now)
        #expect(Screen(state).contains("drainctl report 7 for the timeline"))
    }
}
