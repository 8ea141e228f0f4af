import DrainTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// How long a `/sleep` request lasts where a test needs several in flight at once.
///
/// Far longer than a loaded machine takes to start them all, see them in flight and deliver a SIGTERM, so
/// that they overlap whatever the load: beside two CPU hogs, 2.5 s requests did not all overlap in the main
/// package's terminal tests, and its HTTP mode tests hold theirs 20 s to be in flight when the drain begins.
/// The tests run in parallel, so the suite waits about this long once, not once per test.
private let heldMs = 20000

/// The example Hummingbird app over real HTTP: its requests are tracked by the pool through a drain.
@Suite("DrainHummingbird end to end", .timeLimit(.minutes(5)))
struct DrainHummingbirdTests {
    // MARK: - Clean drain

    @Test("SIGTERM with requests in flight: all answered 200, a new connection is refused, the report counts them")
    func cleanDrain() async throws {
        // A grace that covers the requests: the drain is clean however late the SIGTERM lands.
        let app = try await ExampleApp("drain-hummingbird-example", ["--grace", "30"])
        let port = app.port
        let requests = app.requests(6, ms: heldMs)
        try await eventually("6 requests in flight in the status") { try await app.status().inFlightOperations == 6 }
        app.signal(SIGTERM)
        try await eventually("draining") { try await app.status().phase >= .draining }
        // The status is the snapshot published as the phase changed: the listener closes a moment later, when
        // DrainingApplication's subscriber starts the server's graceful shutdown. Wait for that, not a time.
        var late = (fd: Int32(-1), errno: Int32(0), seconds: 0.0)
        try await eventually("the listener closed") {
            late = await HTTPProbe.onThread { HTTPProbe.connect(port: port) }
            if late.errno == 0 { close(late.fd) }
            return late.errno != 0
        }
        // Refused by the kernel, not timed out: nothing listens any more. And refused during the drain, not
        // once the process is gone: the held requests keep it draining for seconds yet.
        #expect(late.errno == ECONNREFUSED, "a connection after the drain began is refused, errno \(late.errno)")
        #expect(try await app.status().phase == .draining, "the listener closed while the drain went on")
        for request in requests {
            let response = try await request.value.get()
            #expect(response.status == 200)
            #expect(response.body == "slept \(heldMs) ms\n")
            #expect(response.headers["connection"] == "close", "answers during a drain close their connection")
        }
        #expect(try await app.wait() == 0, "stderr: \(app.stderr)")
        let report = try app.report()
        #expect(report["outcome"] as? String == "clean")
        #expect(report["in_flight_at_drain_start"] as? Int == 6)
        #expect(report["completed"] as? Int == 6, "the requests count in the report")
        #expect(report["completed_operations"] as? Int == 6)
    }

    @Test("drainctl's status counts the requests: in flight while served, completed once answered")
    func statusCountsRequests() async throws {
        let app = try await ExampleApp("drain-hummingbird-example", [])
        let requests = app.requests(3, ms: heldMs)
        try await eventually("3 in flight") { try await app.status().inFlightOperations == 3 }
        for request in requests { _ = try await request.value.get() }
        try await eventually("3 completed") { try await app.status().completed == 3 }
        let status = try await app.status()
        #expect(status.completedOperations == 3)
        #expect(status.inFlight == 0)
        // The readiness probe is not work: it is neither in flight nor completed.
        let health = try await HTTPProbe.onThread { [port = app.port] in HTTPProbe.get(port: port, path: "/healthz") }
            .get()
        #expect(health.status == 200)
        #expect(try await app.status().completed == 3)
        app.signal(SIGTERM)
        #expect(try await app.wait() == 0, "stderr: \(app.stderr)")
    }

    @Test("drainctl top in a real terminal counts the requests: in flight, then completed, then in the banner")
    func topCountsRequests() async throws {
        let app = try await ExampleApp("drain-hummingbird-example", ["--grace", "10"])
        let pane = try await TmuxPane("\(TmuxPane.drainctl.path) top --socket \(app.socket)")
        try await pane.waitUntil("top running") { $0.contains("RUNNING") }
        let requests = app.requests(4, ms: heldMs)
        // All 4 in flight in the pool first, then on the screen: top shows what its next snapshot holds.
        try await eventually("4 requests in flight in the status") { try await app.status().inFlightOperations == 4 }
        try await pane.waitUntil("4 requests in flight") { $0.firstMatch(of: /In flight +4\//) != nil }
        for request in requests { #expect(try await request.value.get().status == 200) }
        try await pane.waitUntil("4 completed") { $0.firstMatch(of: /Completed +4\b/) != nil }
        app.signal(SIGTERM)
        // A capture can catch the banner half drawn: wait for its counts rather than read the first frame.
        let banner = try await pane.waitUntil("the end banner with its counts") {
            $0.contains("STOPPED CLEAN") && $0.contains("4 completed")
        }
        #expect(banner.contains("4 completed"), "the banner counts the answered requests:\n\(banner)")
        #expect(try await app.wait() == 0, "stderr: \(app.stderr)")
        await pane.close()
    }

    // MARK: - Lame duck

    @Test("lame duck: readiness turns 503 while requests are still served, then the listener closes")
    func lameDuck() async throws {
        // Far longer than a loaded machine takes to see the lame duck and make two requests in it. Nothing but
        // a force ends a lame duck early, so the test lasts this long, as long as the suite's held requests.
        let app = try await ExampleApp("drain-hummingbird-example", ["--lame-duck", "20", "--grace", "5"])
        let port = app.port
        app.signal(SIGTERM)
        try await eventually("lame duck") { try await app.status().phase == .lameDuck }
        let health = try await HTTPProbe.onThread { HTTPProbe.get(port: port, path: "/healthz") }.get()
        #expect(health.status == 503)
        #expect(health.body == "lame_duck\n")
        let served = try await HTTPProbe.onThread { HTTPProbe.get(port: port, path: "/sleep?ms=10") }.get()
        #expect(served.status == 200, "still serving during the lame duck")
        #expect(try await app.wait() == 0, "stderr: \(app.stderr)")
        let after = await HTTPProbe.onThread { HTTPProbe.connect(port: port) }
        #expect(after.errno == ECONNREFUSED)
    }

    // MARK: - Forced drain

    @Test("requests outliving the grace are cancelled: clients get 503, the drain is forced, exit 3")
    func forcedDrain() async throws {
        // A window far longer than a cancelled request takes to answer, so both are cancelled, not abandoned
        // (the drain stops as soon as they have answered, so the window costs nothing).
        let app = try await ExampleApp("drain-hummingbird-example", ["--grace", "1", "--cancel-window", "30"])
        let requests = app.requests(2, ms: 20000)
        try await eventually("2 in flight") { try await app.status().inFlightOperations == 2 }
        app.signal(SIGTERM)
        for request in requests {
            let response = try await request.value.get()
            #expect(response.status == 503)
            #expect(response.body == "cancelled: the drain was forced\n")
        }
        #expect(try await app.wait() == 3, "stderr: \(app.stderr)")
        let report = try app.report()
        #expect(report["outcome"] as? String == "forced")
        #expect(report["cancelled"] as? Int == 2)
        #expect(report["completed"] as? Int == 0)
        #expect(report["requeued"] as? Int == 0, "requests are never requeued")
    }
}
