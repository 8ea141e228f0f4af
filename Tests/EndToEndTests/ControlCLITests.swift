import DrainClient
import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `drainctl` against a live `drain-demo`: commands, exit codes, and a protocol that survives abuse.
@Suite("drainctl and the control socket", .timeLimit(.minutes(5)))
struct ControlCLITests {
    func socket(_ demo: Spawned, _ sandbox: Sandbox, name: String = "demo") -> String {
        "\(sandbox.runDir)/\(name).\(demo.pid).sock"
    }

    @Test("ls, status and shutdown --grace drive a live process to a clean exit")
    func lsStatusShutdown() async throws {
        let sandbox = try Sandbox()
        // Scale 0.005: even the longest export (600 s, the demo's cap) takes 3 s, inside the 5 s grace.
        let demo = try await startDemo(["--rate", "20", "--duration-scale", "0.005"], in: sandbox, name: "shop")
        // Answering already: `ls` gives a process a few seconds to answer, and one still starting beside the
        // whole suite could take longer than that.
        let path = socket(demo, sandbox, name: "shop")
        try await eventually("the demo to answer status") {
            (try? await ControlClient.withConnection(path: path) { try await $0.status() }) != nil
        }
        let ls = try await drainctl(["ls"], in: sandbox)
        #expect(ls.code == 0)
        #expect(
            ls.out.contains("shop") && ls.out.contains("live") && ls.out.contains("\(demo.pid)"), "ls:\n\(ls.out)")
        let lsJSON = try await drainctl(["ls", "--json"], in: sandbox)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(lsJSON.out.utf8)) as? [[String: Any]])
        #expect(rows.first?["name"] as? String == "shop")
        let status = try await drainctl(["status", "--json"], in: sandbox)
        #expect(status.code == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.out.utf8)) as? [String: Any])
        for key in ["pid", "name", "phase", "in_flight", "queued", "completed", "requeued"] {
            #expect(object[key] != nil, "status lacks \(key)")
        }
        #expect(object["phase"] as? String == "running")
        #expect(object["pid"] as? Int == Int(demo.pid))
        let shutdown = try await drainctl(["shutdown", "--grace", "5"], in: sandbox)
        #expect(shutdown.code == 0, "stderr: \(shutdown.err)")
        #expect(shutdown.out.contains("stopped clean"))
        #expect(shutdown.out.contains("drain started by drainctl pid"))
        #expect(try await demo.wait() == 0)
    }

    @Test("shutdown exits 1 when the drain is forced")
    func shutdownForced() async throws {
        let sandbox = try Sandbox()
        let (shutdown, _, exit) = try await forceDemoDrain(in: sandbox)
        #expect(shutdown.code == 1, "stderr: \(shutdown.err)")
        #expect(shutdown.out.contains("stopped forced"))
        #expect(exit == 3)
    }

    @Test("no process, several processes and bad arguments each get a clear error and their exit code")
    func selectionErrors() async throws {
        let sandbox = try Sandbox()
        let none = try await drainctl(["status"], in: sandbox)
        #expect(none.code == 3)
        #expect(none.err.contains("no running process found in \(sandbox.runDir)"))
        let a = try await startDemo(["--rate", "0"], in: sandbox, name: "a")
        let b = try await startDemo(["--rate", "0"], in: sandbox, name: "b")
        let several = try await drainctl(["status"], in: sandbox)
        #expect(several.code == 3)
        #expect(several.err.contains("several processes") && several.err.contains("--socket"))
        let chosen = try await drainctl(["status", "--socket", socket(b, sandbox, name: "b")], in: sandbox)
        #expect(chosen.code == 0 && chosen.out.hasPrefix("b "))
        let bad = try await drainctl(["shutdown", "--grace", "-3"], in: sandbox)
        #expect(bad.code == 64)
        #expect(bad.err.contains("--grace"))
        // A negative number is a value, not a flag: the range is what is wrong with it.
        #expect(bad.err.contains("from 0 to 86400") && !bad.err.contains("Missing value"), "\(bad.err)")
        a.signal(SIGTERM)
        b.signal(SIGTERM)
        _ = try await a.wait()
        _ = try await b.wait()
    }

    @Test("events streams until the process stops, and a SIGKILLed server is reported with exit 2")
    func eventsAndKilledServer() async throws {
        let sandbox = try Sandbox()
        let demo = try await startDemo(["--rate", "5", "--duration-scale", "0.05"], in: sandbox)
        let events = try Spawned(Binaries.drainctl, ["events"], environment: sandbox.environment, in: sandbox)
        try await eventually("events streaming") { events.stdout.contains("started") }
        demo.signal(SIGTERM)
        #expect(try await events.wait() == 0)
        #expect(events.stdout.contains("drain started by SIGTERM"))
        #expect(events.stdout.contains("stopped clean"))
        _ = try await demo.wait()

        let second = try await startDemo(["--rate", "5", "--duration-scale", "0.05"], in: sandbox)
        let watcher = try Spawned(Binaries.drainctl, ["events"], environment: sandbox.environment, in: sandbox)
        try await eventually("events streaming") { watcher.stdout.contains("started") }
        second.signal(SIGKILL)
        #expect(try await watcher.wait() == 2)
        #expect(watcher.stderr.contains("lost"))

        // The killed server left a stale socket: flagged by ls, refused by status, removed by --prune.
        let ls = try await drainctl(["ls"], in: sandbox)
        #expect(ls.out.contains("stale"))
        let status = try await drainctl(["status", "--socket", socket(second, sandbox)], in: sandbox)
        #expect(status.code == 3)
        #expect(try await drainctl(["ls", "--prune"], in: sandbox).out.contains("pruned"))
        #expect(!FileManager.default.fileExists(atPath: socket(second, sandbox)))
    }

    @Test("garbage, truncated JSON, binary, wrong types, unknown operations and huge lines get error codes")
    func abuse() async throws {
        let sandbox = try Sandbox()
        let demo = try await startDemo(["--rate", "0"], in: sandbox)
        let path = socket(demo, sandbox)
        let cases: [(String, [UInt8])] = [
            ("bad_json", Array("hello there\n".utf8)),
            ("bad_json", Array("{\"op\":\n".utf8)),
            ("bad_json", [0xFF, 0x00, 0xC3, 0x28, 0x0A]),
            ("bad_request", Array("[1,2,3]\n".utf8)),
            ("bad_request", Array("{\"op\":5}\n".utf8)),
            ("bad_request", Array("{\"id\":3}\n".utf8)),
            ("unknown_operation", Array("{\"op\":\"dance\"}\n".utf8)),
            // Versions 2 and 3 exist now (compact subscriptions, jobs as rows); 4 does not.
            ("unsupported_version", Array("{\"v\":4,\"op\":\"status\"}\n".utf8)),
            ("invalid_argument", Array("{\"op\":\"shutdown\",\"grace\":-1}\n".utf8)),
            ("not_draining", Array("{\"op\":\"extend\",\"seconds\":5}\n".utf8)),
        ]
        let client = try RawSocket(path: path)
        for (code, bytes) in cases {
            client.send(bytes)
            #expect(await client.errorCode() == code, "expected \(code) for \(bytes.prefix(20))")
        }
        // The same connection still works after all that.
        client.send("{\"op\":\"hello\",\"id\":9}\n")
        #expect(await client.readLine()?.contains("\"id\":9") == true)

        let huge = try RawSocket(path: path)
        huge.send([UInt8](repeating: UInt8(ascii: "a"), count: 70_000))
        #expect(await huge.errorCode() == "line_too_long")
        #expect(await huge.readLine(timeout: 2) == nil)

        // A request split across many tiny writes is still one request.
        let split = try RawSocket(path: path)
        for byte in Array("{\"op\":\"status\",\"id\":4}\n".utf8) { split.send([byte]) }
        #expect(await split.readLine()?.contains("\"snapshot\"") == true)

        let status = try await drainctl(["status"], in: sandbox)
        #expect(status.code == 0)
        demo.signal(SIGTERM)
        #expect(try await demo.wait() == 0)
    }

    @Test("a subscriber that never reads does not delay the drain")
    func stalledSubscriber() async throws {
        let sandbox = try Sandbox()
        // Scale 0.005: the longest export takes 3 s. A subscriber that held the drain up would hold it until the
        // grace (30 s); 15 s tells the two apart on a loaded machine too.
        let demo = try await startDemo(["--rate", "20", "--duration-scale", "0.005"], in: sandbox)
        let stalled = try RawSocket(path: socket(demo, sandbox))
        stalled.send("{\"op\":\"subscribe\",\"interval_ms\":50}\n")
        try await Task.sleep(for: .seconds(2))
        let start = ContinuousClock.now
        demo.signal(SIGTERM)
        #expect(try await demo.wait() == 0)
        #expect(ContinuousClock.now - start < .seconds(15))
        _ = stalled
    }

    @Test("a peer with another uid is refused even with the directory and socket opened up")
    func foreignUID() async throws {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser") else { return }
        let sandbox = try Sandbox()
        let demo = try await startDemo(["--rate", "0"], in: sandbox)
        let path = socket(demo, sandbox)
        chmod(sandbox.root.path, 0o777)
        chmod(sandbox.runDir, 0o777)
        chmod(path, 0o777)
        let script = """
            import socket; s = socket.socket(socket.AF_UNIX); s.connect("\(path)")
            print(s.makefile().readline())
            """
        let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
        // The refusal is sent at once, before any request: reading first avoids racing the close.
        let child = try Spawned(
            URL(fileURLWithPath: "/usr/sbin/runuser"), ["-u", "nobody", "--", python, "-c", script],
            environment: sandbox.environment, in: sandbox
        )
        _ = try await child.wait()
        #expect(child.stdout.contains("\"forbidden\""), "stdout: \(child.stdout) stderr: \(child.stderr)")
        // The loosened directory is itself refused by drainctl; an explicit socket still works for root.
        let unsafe = try await drainctl(["status"], in: sandbox)
        #expect(unsafe.code == 3 && unsafe.err.contains("others can write"))
        // `status` answers with the snapshot of the pool's last tick: the audit shows by the next one.
        try await eventually("the refused connection audited, stderr of the foreign client: \(child.stderr)") {
            try await drainctl(["status", "--json", "--socket", path], in: sandbox).out.contains("refused connection")
        }
        demo.signal(SIGTERM)
        _ = try await demo.wait()
    }

    @Test("a symlinked run directory is refused")
    func symlinkRunDir() async throws {
        let sandbox = try Sandbox()
        let real = sandbox.root.appendingPathComponent("real").path
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: true)
        chmod(real, 0o700)
        try FileManager.default.createSymbolicLink(atPath: sandbox.runDir, withDestinationPath: real)
        let demo = try Spawned(Binaries.demo, ["--rate", "0"], environment: sandbox.environment, in: sandbox)
        #expect(try await demo.wait() == 1)
        #expect(demo.stderr.contains("symlink"))
        let status = try await drainctl(["status"], in: sandbox)
        #expect(status.code == 3)
        #expect(status.err.contains("symlink"))
    }
}
