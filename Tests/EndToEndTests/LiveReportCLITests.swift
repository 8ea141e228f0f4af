import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `drainctl report` reading a running process's drain history over its control socket (issue 21): the
/// same list, timeline, SVG and JSON as from the journal file, and a clear message and exit code for
/// each way it can fail.
@Suite("drainctl report against a running process", .timeLimit(.minutes(5)))
struct LiveReportCLITests {
    @Test("a running drain-demo lists the drains its journal keeps and draws one, as the journal file does")
    func readsRunningProcess() async throws {
        let sandbox = try Sandbox()
        // A first demo is drained and forced: its drain is kept in the journal.
        let (shutdown, first, exit) = try await forceDemoDrain(in: sandbox)
        #expect(shutdown.code == 1, "stderr: \(shutdown.err)")
        #expect(exit == 3)
        let cutIDs = try #require(try sandbox.reportJSON()["jobs"] as? [[String: Any]]).compactMap { $0["id"] as? Int }
        #expect(!cutIDs.isEmpty)

        // The next one runs on the same journal; report asks it, the one process of the run directory.
        let second = try await startDemo(["--rate", "0"], in: sandbox)
        let list = try await drainctl(["report"], in: sandbox)
        #expect(list.code == 0, "stderr: \(list.err)")
        #expect(list.out.contains("forced") && list.out.contains("demo pid \(first.pid)"), "\(list.out)")

        let socket = "\(sandbox.runDir)/demo.\(second.pid).sock"
        let timeline = try await drainctl(["report", "--last", "--socket", socket, "--width", "100"], in: sandbox)
        #expect(timeline.code == 0, "stderr: \(timeline.err)")
        #expect(timeline.out.contains("drain 1 · demo pid \(first.pid)"), "\(timeline.out)")
        for id in cutIDs {
            let lane = timeline.out.split(separator: "\n").first { $0.hasPrefix("#\(id) ") }
            #expect(lane?.contains("cancelled") == true || lane?.contains("abandoned") == true, "job \(id)")
        }
        #expect(timeline.out.split(separator: "\n").allSatisfy { $0.count <= 100 })

        // Byte for byte what the journal file gives: one report, one dialect, whoever reads it.
        let live = try await drainctl(["report", "1", "--json"], in: sandbox)
        let file = try await drainctl(["report", "1", "--json", "--journal", sandbox.journal], in: sandbox)
        #expect(live.code == 0 && file.code == 0, "stderr: \(live.err) \(file.err)")
        #expect(live.out == file.out)
        let kept = try #require(try JSONSerialization.jsonObject(with: Data(live.out.utf8)) as? [String: Any])
        #expect(kept["outcome"] as? String == "forced")
        #expect(kept["history_id"] as? Int == 1)
        #expect(kept["timeline"] != nil)
        let listed = try await drainctl(["report", "--json"], in: sandbox)
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(listed.out.utf8)) as? [[String: Any]])
        #expect(entries.compactMap { $0["id"] as? Int } == [1])

        let svg = "\(sandbox.root.path)/drain.svg"
        let drawn = try await drainctl(["report", "--last", "--svg", svg], in: sandbox)
        #expect(drawn.code == 0, "stderr: \(drawn.err)")
        #expect(try String(contentsOfFile: svg, encoding: .utf8).contains("fill=\"#d62728\""))

        let unknown = try await drainctl(["report", "99"], in: sandbox)
        #expect(unknown.code == 64)
        #expect(unknown.err.contains("no drain 99") && unknown.err.contains("pid \(second.pid)"), "\(unknown.err)")
        let garbage = try await drainctl(["report", "forty-two"], in: sandbox)
        #expect(garbage.code == 64, "\(garbage.err)")
        let zero = try await drainctl(["report", "0"], in: sandbox)
        #expect(zero.code == 64 && zero.err.contains("a drain ID is 1 or more"), "\(zero.err)")
        let tooMany = try await drainctl(["report", "--limit", "500"], in: sandbox)
        #expect(tooMany.code == 64 && tooMany.err.contains("--journal"), "\(tooMany.err)")
        let both = try await drainctl(["report", "--socket", socket, "--journal", sandbox.journal], in: sandbox)
        #expect(both.code == 64, "\(both.err)")

        // The process is gone, its socket left behind: nothing to ask, and report says where else to read.
        second.signal(SIGKILL)
        _ = try await second.wait()
        #expect(FileManager.default.fileExists(atPath: socket))
        let none = try await drainctl(["report"], in: sandbox)
        #expect(none.code == 3 && none.err.contains("--journal PATH"), "\(none.err)")
        let stale = try await drainctl(["report", "--socket", socket], in: sandbox)
        #expect(stale.code == 3 && stale.err.contains("nothing is listening"), "\(stale.err)")
    }

    /// A server from before `history` (its reply, byte for byte, to an operation it does not know), one
    /// whose journal keeps no history, and one whose journal fails: each a clear message and its exit code.
    @Test(
        "a server too old for history, one without history and one whose journal fails",
        arguments: [
            (
                #"{"error":{"code":"unknown_operation","message":"unknown operation 'history'; known: hello, status, subscribe, shutdown, extend, force"},"id":1,"ok":false,"type":"error","v":1}"#,
                Int32(4), "too old"
            ),
            (
                #"{"error":{"code":"no_history","message":"the journal of old keeps no drain history (it records no drains: an in-memory journal)"},"id":1,"ok":false,"type":"error","v":1}"#,
                Int32(3), "keeps no drain history"
            ),
            (
                #"{"error":{"code":"journal_failed","message":"cannot read the drain history from the journal: disk I/O error"},"id":1,"ok":false,"type":"error","v":1}"#,
                Int32(3), "disk I/O error"
            ),
        ])
    func refusals(reply: String, code: Int32, says: String) async throws {
        let sandbox = try Sandbox()
        try FileManager.default.createDirectory(atPath: sandbox.runDir, withIntermediateDirectories: true)
        let path = "\(sandbox.runDir)/old.\(getpid()).sock"
        let server = try FakeServer(path: path, replies: [reply + "\n"])
        let report = try await drainctl(["report", "--socket", path], in: sandbox)
        #expect(report.code == code, "\(report.err)")
        #expect(report.err.contains(says) && report.err.contains("old (pid \(getpid()))"), "\(report.err)")
        #expect(server.requests.first?.contains(#""op":"history""#) == true)
    }
}
