import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `drainctl shutdown --all` and `status --all` against several live `drain-demo`s in one run directory.
/// Serialized: each test runs two busy demos, and several at once starve the rest of the run on 2 cores.
@Suite("drainctl for every process of a host", .serialized, .timeLimit(.minutes(5)))
struct HostCommandsTests {
    /// A demo with a journal of its own, so several can share the run directory.
    func demo(_ name: String, _ arguments: [String], in sandbox: Sandbox) async throws -> Spawned {
        let journal = sandbox.root.appendingPathComponent("\(name).sqlite").path
        let demo = try Spawned(
            Binaries.demo, ["--name", name, "--journal", journal] + arguments, environment: sandbox.environment,
            in: sandbox)
        let socket = "\(sandbox.runDir)/\(name).\(demo.pid).sock"
        try await eventually("\(name) listening") { FileManager.default.fileExists(atPath: socket) }
        return demo
    }

    /// Short jobs: even the demo's longest (600 s scaled by 0.005) ends within a 5 s grace.
    static let quick = ["--rate", "20", "--duration-scale", "0.005"]
    /// Jobs 20 times longer than usual: a short grace cannot hold them.
    static let slow = ["--rate", "30", "--duration-scale", "20", "--cancel-window", "0.2"]

    func waitForJobs(_ name: String, _ demo: Spawned, in sandbox: Sandbox) async throws {
        let socket = "\(sandbox.runDir)/\(name).\(demo.pid).sock"
        try await eventually("\(name) has jobs in flight") {
            let s = try await drainctl(["status", "--json", "--socket", socket], in: sandbox)
            return s.out.contains("\"in_flight_jobs\":") && !s.out.contains("\"in_flight_jobs\":0")
        }
    }

    @Test("shutdown --all: every process drains clean, each event tagged, one summary each, exit 0")
    func allClean() async throws {
        let sandbox = try Sandbox()
        let a = try await demo("alpha", Self.quick, in: sandbox)
        let b = try await demo("beta", Self.quick, in: sandbox)
        let result = try await drainctl(["shutdown", "--all", "--grace", "5"], in: sandbox)
        #expect(result.code == 0, "stderr: \(result.err)\nstdout: \(result.out)")
        for (name, process) in [("alpha", a), ("beta", b)] {
            let tag = "\(name) (pid \(process.pid))"
            #expect(result.out.contains("\(tag)  "), "no event tagged \(tag)")
            #expect(result.out.contains("\(tag): stopped clean in "), "no summary for \(tag)")
            #expect(result.out.contains("drain started by drainctl pid"))
            #expect(try await process.wait() == 0)
        }
        #expect(result.out.contains("2 processes: 2 clean, 0 forced, 0 lost"))
    }

    @Test("shutdown --all with one drain clean and one forced exits 1, saying which was which")
    func cleanAndForced() async throws {
        let sandbox = try Sandbox()
        let quick = try await demo("quick", Self.quick, in: sandbox)
        let slow = try await demo("slow", Self.slow, in: sandbox)
        try await waitForJobs("slow", slow, in: sandbox)
        let result = try await drainctl(["shutdown", "--all", "--grace", "5"], in: sandbox)
        #expect(result.code == 1, "stderr: \(result.err)\nstdout: \(result.out)")
        #expect(result.out.contains("quick (pid \(quick.pid)): stopped clean"))
        #expect(result.out.contains("slow (pid \(slow.pid)): stopped forced"))
        #expect(result.out.contains("2 processes: 1 clean, 1 forced, 0 lost"))
        #expect(try await quick.wait() == 0)
        #expect(try await slow.wait() == 3)
    }

    @Test("shutdown --all with a process SIGKILLed during its drain exits 2 and reports it lost")
    func oneLost() async throws {
        let sandbox = try Sandbox()
        let quick = try await demo("quick", Self.quick, in: sandbox)
        let doomed = try await demo("doomed", Self.slow, in: sandbox)
        try await waitForJobs("doomed", doomed, in: sandbox)
        let shutdown = try Spawned(
            Binaries.drainctl, ["shutdown", "--all", "--grace", "30"], environment: sandbox.environment, in: sandbox)
        try await eventually("doomed draining") {
            shutdown.stdout.contains("doomed (pid \(doomed.pid))  ") && shutdown.stdout.contains("drain started")
        }
        doomed.signal(SIGKILL)
        let code = try await shutdown.wait()
        #expect(code == 2, "stdout: \(shutdown.stdout)\nstderr: \(shutdown.stderr)")
        #expect(shutdown.stdout.contains("doomed (pid \(doomed.pid)): lost: "))
        #expect(shutdown.stdout.contains("quick (pid \(quick.pid)): stopped clean"))
        #expect(shutdown.stdout.contains("2 processes: 1 clean, 0 forced, 1 lost"))
    }

    @Test("status --all shows every process, as text and as a JSON array; nothing to show exits 3")
    func statusAll() async throws {
        let sandbox = try Sandbox()
        let none = try await drainctl(["status", "--all"], in: sandbox)
        #expect(none.code == 3)
        #expect(none.err.contains("no live process in \(sandbox.runDir)"))
        let a = try await demo("alpha", ["--rate", "0"], in: sandbox)
        let b = try await demo("beta", ["--rate", "0"], in: sandbox)
        let text = try await drainctl(["status", "--all"], in: sandbox)
        #expect(text.code == 0, "\(text.err)")
        #expect(text.out.contains("alpha  pid \(a.pid)  RUNNING") && text.out.contains("beta  pid \(b.pid)  RUNNING"))
        let json = try await drainctl(["status", "--all", "--json"], in: sandbox)
        let array = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [[String: Any]])
        #expect(Set(array.compactMap { $0["pid"] as? Int }) == [Int(a.pid), Int(b.pid)])
        let conflict = try await drainctl(["status", "--all", "--socket", "/nowhere.1.sock"], in: sandbox)
        #expect(conflict.code == 64 && conflict.err.contains("--all and --socket"))
        a.signal(SIGTERM)
        b.signal(SIGTERM)
        _ = try await a.wait()
        _ = try await b.wait()
    }
}
