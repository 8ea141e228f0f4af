import DrainTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension TerminalTests {
    // MARK: - Tracked requests, seen from top

    @Test("top counts HTTP requests: in flight while served, completed once answered, and in the end banner")
    func countsRequests() async throws {
        let sandbox = try Sandbox()
        let portFile = sandbox.root + "/http.port"
        let demo = try await Demo(
            ["--http", "127.0.0.1:0", "--http-port-file", portFile, "--grace", "10"], in: sandbox)
        let port = try await eventuallyValue("the HTTP port") {
            Int(
                ((try? String(contentsOfFile: portFile, encoding: .utf8)) ?? "").trimmingCharacters(
                    in: .whitespacesAndNewlines))
        }
        let tmux = try await Tmux(
            Binaries.drainctl.path + " top",
            environment: ["DRAINCTL_RUN_DIR": sandbox.runDir, "SWIFT_BACKTRACE": "interactive=no"], in: sandbox)
        try await tmux.waitFor("RUNNING")
        // 8 s each: the five start on the test's threads, and beside two CPU hogs 2.5 s requests did not all
        // overlap, so top never had five in flight at once to show.
        let url = try #require(URL(string: "http://127.0.0.1:\(port)/sleep?ms=8000"))
        let requests = (0..<5).map { _ in
            Task { () -> Int in
                let (_, response) = try await URLSession.shared.data(from: url)
                return (response as? HTTPURLResponse)?.statusCode ?? 0
            }
        }
        try await tmux.waitUntil("5 requests in flight") { $0.firstMatch(of: /In flight +5\//) != nil ? true : nil }
        for request in requests { #expect(try await request.value == 200) }
        try await tmux.waitUntil("5 completed") { $0.firstMatch(of: /Completed +5\b/) != nil ? true : nil }

        let shutdown = try await runDrainctl(["shutdown", "--grace", "5"], in: sandbox)
        #expect(shutdown.code == 0, "\(shutdown.output)")
        #expect(shutdown.output.contains("5 completed"), "\(shutdown.output)")
        // A capture can catch the banner half drawn: wait for its counts rather than read the first frame.
        let banner = try await tmux.waitUntil("the end banner with its counts") { screen in
            screen.contains("STOPPED CLEAN") && screen.contains("5 completed") ? screen : nil
        }
        #expect(banner.contains("5 completed"), "the banner counts the answered requests:\n\(banner)")
        await tmux.send("q")
        try await tmux.expectRestored(exitCode: 0)
        withExtendedLifetime(demo) {}
    }
}
