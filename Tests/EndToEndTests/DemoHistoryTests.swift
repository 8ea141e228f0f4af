import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// drain-demo keeps its drains without being asked (issue 21): no history flag exists, and none is needed.
@Suite("drain-demo's drain history by default", .timeLimit(.minutes(5)))
struct DemoHistoryTests {
    @Test("drain-demo with no journal flag keeps its drain in <run dir>/<name>.journal.sqlite, and its report names it")
    func keptWithoutFlags() async throws {
        let sandbox = try Sandbox()
        let demo = try Spawned(
            Binaries.demo, ["--name", "plain", "--rate", "0", "--report", sandbox.report],
            environment: sandbox.environment, in: sandbox)
        let socket = "\(sandbox.runDir)/plain.\(demo.pid).sock"
        try await eventually("drain-demo to create its socket") { FileManager.default.fileExists(atPath: socket) }
        demo.signal(SIGTERM)
        #expect(try await demo.wait() == 0, "\(demo.stderr)")
        let journal = "\(sandbox.runDir)/plain.journal.sqlite"
        let list = try await drainctl(["report", "--journal", journal, "--json"], in: sandbox)
        #expect(list.code == 0, "\(list.err)")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(list.out.utf8)) as? [[String: Any]])
        #expect(entries.compactMap { $0["id"] as? Int } == [1], "\(list.out)")
        #expect(try sandbox.reportJSON()["history_id"] as? Int == 1, "the final report names the drain's ID")
    }
}
