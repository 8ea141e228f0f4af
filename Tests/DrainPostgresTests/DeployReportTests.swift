import Drain
import DrainLocalPostgres
import DrainSpawn
import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `drainctl report --postgres` against real drain-demos on one PostgreSQL: a rolling deploy as it happens.
@Suite("drainctl report on a fleet", .serialized, .timeLimit(.minutes(5)))
struct DeployReportTests {
    @Test("three drain-demos drain one after another: report lists their drains, draws one, and draws the deploy")
    func rollingDeploy() async throws {
        let fleet = try await Fleet()
        let url = fleet.server.url(schema: fleet.schema) + "&lease=2&heartbeat=0.25"
        let (ids, service) = try await DemoFleetTests.queueMinuteJobs(fleet)
        defer { service.cancel() }

        // w1 runs the three minute-long jobs and is forced after a 1 s grace; w2 and w3 run the demo's jobs
        // a thousand times faster, so each job w1 hands back finishes as soon as one of them takes it.
        let w1 = try Demo(
            "w1", url: url, arguments: ["--rate", "0", "--concurrency", "3", "--grace", "1", "--cancel-window", "0.2"])
        try await eventually("w1 to run the three jobs") {
            try await fleet.count("state = '\(JobState.running)'") == 3
        }
        let peers = try ["w2", "w3"].map { name in
            try Demo(name, url: url, arguments: ["--rate", "0", "--duration-scale", "0.001", "--grace", "5"])
        }
        try await eventually("w2 and w3 to register") {
            try await fleet.value("SELECT count(*) FROM $s.workers WHERE name IN ('w2', 'w3')") == "2"
        }
        w1.signal(SIGTERM)
        #expect(try await w1.wait() == 3, "forced exits 3: \(w1.output)")
        try await eventually("the peers to finish w1's jobs") {
            try await fleet.count("state = '\(JobState.done)'") == 3
        }
        for peer in peers {
            peer.signal(SIGTERM)
            #expect(try await peer.wait() == 0, "\(peer.output)")
        }

        let drainctlURL = fleet.server.socketURL(schema: fleet.schema)
        let list = try await runDrainctl(
            ["report", "--postgres", drainctlURL, "--width", "160"], environment: ["LANG": "C.UTF-8"])
        #expect(list.code == 0, "\(list.out)")
        let rows = list.out.split(separator: "\n")
        #expect(rows.first?.hasPrefix("ID") == true)
        for name in ["w1", "w2", "w3"] { #expect(rows.contains { $0.contains("\(name) pid ") }, "\(list.out)") }
        let w1Row = try #require(rows.first { $0.contains("w1 pid \(w1.child.pid)") }, "\(list.out)")
        #expect(w1Row.contains("forced"))
        let drainID = try #require(w1Row.split(separator: " ").first.map(String.init))

        let one = try await runDrainctl(
            ["report", drainID, "--postgres", drainctlURL, "--width", "100"], environment: ["LANG": "C.UTF-8"])
        #expect(one.code == 0, "\(one.out)")
        #expect(one.out.hasPrefix("drain \(drainID) · w1 pid \(w1.child.pid)"), "\(one.out)")
        for id in ids { #expect(one.out.contains("#\(id) email.send"), "\(one.out)") }

        let deploy = try await runDrainctl(
            ["report", "--postgres", drainctlURL, "--since", "1h", "--width", "140"], environment: ["LANG": "C.UTF-8"])
        #expect(deploy.code == 0, "\(deploy.out)")
        let lines = deploy.out.split(separator: "\n").map(String.init)
        #expect(lines.first?.contains("3 drains of 3 workers") == true, "\(deploy.out)")
        #expect(lines.contains { $0.contains("3 requeued: 3 taken by other workers, 0 still queued") }, "\(deploy.out)")
        let lane = try #require(lines.first { $0.hasPrefix("w1 pid \(w1.child.pid)") }, "\(deploy.out)")
        #expect(lane.contains("#\(drainID) forced, 3 cut"))
        // Every job w1 handed back is followed to the peer that finished it.
        for id in ids {
            let handoff = try #require(lines.first { $0.contains("#\(id) email.send") }, "\(deploy.out)")
            #expect(handoff.contains("w1 pid \(w1.child.pid) → w"), "\(handoff)")
            #expect(handoff.hasSuffix(", done"), "\(handoff)")
        }
        let takers = lines.filter { ($0.hasPrefix("w2 pid ") || $0.hasPrefix("w3 pid ")) && $0.contains("took ") }
        #expect(!takers.isEmpty, "\(deploy.out)")

        // The fleet view names the drain of each stopped worker, so the operator can draw it.
        let workers = try await runDrainctl(["ls", "--postgres", drainctlURL, "--json"])
        let listed = try JSONSerialization.jsonObject(with: Data(workers.out.utf8)) as? [[String: Any]]
        let w1Worker = try #require(listed?.first { $0["pid"] as? Int == Int(w1.child.pid) }, "\(workers.out)")
        #expect(w1Worker["state"] as? String == "stopped")
        #expect((w1Worker["drain_id"] as? Int).map(String.init) == drainID, "\(w1Worker)")
        let text = try await runDrainctl(["ls", "--postgres", drainctlURL])
        #expect(text.out.contains("drain #\(drainID) · drainctl report \(drainID)"), "\(text.out)")

        let missing = try await runDrainctl(
            ["report", "99999", "--postgres", drainctlURL], environment: ["LANG": "C.UTF-8"])
        #expect(missing.code == 64 && missing.out.contains("no drain 99999"), "\(missing.out)")
    }
}
