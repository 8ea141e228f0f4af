import DrainDashboard
import DrainFleet
import DrainProtocol
import Foundation
import Testing

/// The fleet's deploy view against golden files: `DRAIN_UPDATE_GOLDENS=1 swift test --filter DeployLayout`
/// rewrites them.
@Suite("A fleet deploy in the terminal")
struct DeployLayoutTests {
    @Test("a deploy of three workers matches its goldens at 80 and 160 columns", arguments: [80, 160])
    func golden(width: Int) throws {
        let lines = DeployLayout.lines(DeployFixtures.deploy, width: width, ascii: false)
        try TimelineLayoutTests.check(lines, golden: "deploy-\(width).txt")
        #expect(lines.allSatisfy { $0.count <= width })
    }

    @Test("each requeued job is followed to the worker that took it next, through a later drain")
    func handoffs() throws {
        let deploy = DeployFixtures.deploy
        #expect(deploy.drains.map(\.entry.id) == [41, 42, 43], "drains in the order they began")
        #expect(deploy.workers.map(\.pid) == [101, 102, 103, 111], "drained workers first, then takers")
        let byJob = Dictionary(grouping: deploy.handoffs, by: \.job)
        // #202 left web-1 for web-3 (whose drain had it in flight), then web-3 for the new web-1.
        #expect(byJob[202]?.map(\.to) == [DeployFixtures.web3.id, DeployFixtures.newWeb1.id])
        #expect(byJob[202]?.first?.outcome == "cut")
        #expect(byJob[201]?.map(\.to) == [DeployFixtures.web2.id])
        #expect(byJob[203]?.first?.waiting == true && byJob[203]?.first?.to == nil)
        #expect(deploy.taken == 3 && deploy.waiting == 1)
    }

    @Test("the lanes show each drain and the jobs each worker took; LANG=C draws it in ASCII")
    func lanes() throws {
        let lines = DeployLayout.lines(DeployFixtures.deploy, width: 100, ascii: false)
        let web1 = try #require(lines.first { $0.hasPrefix("web-1 pid 101") })
        #expect(web1.contains("×") && web1.contains("#41 forced, 3 cut"))
        #expect(try #require(lines.first { $0.hasPrefix("web-2 pid 102") }).contains("▸"))
        #expect(try #require(lines.first { $0.hasPrefix("web-1 pid 111") }).contains("took 1"))
        #expect(lines.contains { $0.contains("#203 report") && $0.contains("still queued") })
        let ascii = DeployLayout.lines(DeployFixtures.deploy, width: 100, ascii: true)
        #expect(ascii.allSatisfy { $0.allSatisfy(\.isASCII) })
        #expect(ascii.map(\.count) == lines.map(\.count))
        #expect(
            DeployLayout.lines(FleetDeploy(fleet: "shop", drains: [], jobs: [:]), width: 80, ascii: false)
                == ["no drain in the window in the fleet shop"])
    }

    @Test("docs/DASHBOARD.md shows the 80-column golden deploy as it is drawn")
    func documented() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/DASHBOARD.md"), encoding: .utf8)
        let drawn = DeployLayout.lines(DeployFixtures.deploy, width: 80, ascii: false).joined(separator: "\n")
        #expect(doc.contains("```\n" + drawn + "\n```"), "docs/DASHBOARD.md's deploy block differs from the layout")
    }
}
