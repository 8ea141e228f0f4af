import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `drainctl report` against the history a real `drain-demo` keeps in its journal (issue 21).
@Suite("drainctl report and the drain history", .timeLimit(.minutes(5)))
struct ReportCLITests {
    @Test("a forced drain of drain-demo is remembered, and report --last draws its cut jobs")
    func forcedDrainIsRemembered() async throws {
        let sandbox = try Sandbox()
        let (shutdown, demo, exit) = try await forceDemoDrain(in: sandbox)
        #expect(shutdown.code == 1, "stderr: \(shutdown.err)")
        #expect(exit == 3)
        let written = try sandbox.reportJSON()
        let cutIDs = try #require(written["jobs"] as? [[String: Any]]).compactMap { $0["id"] as? Int }
        #expect(!cutIDs.isEmpty)

        let list = try await drainctl(["report", "--journal", sandbox.journal], in: sandbox)
        #expect(list.code == 0, "stderr: \(list.err)")
        #expect(list.out.contains("forced") && list.out.contains("demo pid \(demo.pid)"), "\(list.out)")

        let timeline = try await drainctl(
            ["report", "--last", "--journal", sandbox.journal, "--width", "100"], in: sandbox)
        #expect(timeline.code == 0, "stderr: \(timeline.err)")
        #expect(timeline.out.contains("drain 1 · demo pid \(demo.pid)"))
        for id in cutIDs {
            let lane = timeline.out.split(separator: "\n").first { $0.hasPrefix("#\(id) ") }
            #expect(
                lane?.contains("cancelled") == true || lane?.contains("abandoned") == true, "job \(id): \(timeline.out)"
            )
        }
        #expect(timeline.out.split(separator: "\n").allSatisfy { $0.count <= 100 })

        let json = try await drainctl(["report", "1", "--journal", sandbox.journal, "--json"], in: sandbox)
        let kept = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
        #expect(kept["outcome"] as? String == "forced")
        #expect(kept["requeued"] as? Int == written["requeued"] as? Int)
        #expect(kept["timeline"] != nil, "the report kept is the one with the timeline")

        let svg = "\(sandbox.root.path)/drain.svg"
        let drawn = try await drainctl(["report", "--last", "--journal", sandbox.journal, "--svg", svg], in: sandbox)
        #expect(drawn.code == 0, "stderr: \(drawn.err)")
        #expect(try String(contentsOfFile: svg, encoding: .utf8).contains("fill=\"#d62728\""))

        // The next start of the demo on the same journal drains again: both drains are kept.
        // It starts with the first drain's requeued jobs, whose long tail (an export can run for minutes) may
        // outlast any grace: clean (0) or forced (3), the drain is kept either way, and a short grace keeps
        // the test short.
        let again = try await startDemo(["--rate", "0", "--grace", "1"], in: sandbox)
        again.signal(SIGTERM)
        let code = try await again.wait()
        #expect(code == 0 || code == 3, "stderr: \(again.stderr)")
        let both = try await drainctl(["report", "--journal", sandbox.journal, "--json"], in: sandbox)
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(both.out.utf8)) as? [[String: Any]])
        #expect(entries.compactMap { $0["id"] as? Int } == [2, 1])
    }

    @Test("an unknown drain, a missing journal and bad flags each get a clear message and their exit code")
    func badInput() async throws {
        let sandbox = try Sandbox()
        let missing = try await drainctl(["report", "--journal", "\(sandbox.root.path)/none.sqlite"], in: sandbox)
        #expect(missing.code == 3)
        #expect(missing.err.contains("cannot read the journal"))
        // Without --journal or --postgres, report asks the running process; there is none here.
        let noProcess = try await drainctl(["report"], in: sandbox)
        #expect(noProcess.code == 3 && noProcess.err.contains("--journal PATH"), "\(noProcess.err)")
        let both = try await drainctl(["report", "4", "--last", "--journal", "x"], in: sandbox)
        #expect(both.code == 64)

        let demo = try await startDemo(["--rate", "0"], in: sandbox)
        demo.signal(SIGTERM)
        #expect(try await demo.wait() == 0)
        let unknown = try await drainctl(["report", "99", "--journal", sandbox.journal], in: sandbox)
        #expect(unknown.code == 64)
        #expect(unknown.err.contains("no drain 99"), "\(unknown.err)")
        let garbage = "\(sandbox.root.path)/garbage.sqlite"
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: garbage))
        let notJournal = try await drainctl(["report", "--journal", garbage], in: sandbox)
        #expect(notJournal.code == 3, "\(notJournal.err)")
    }
}
