import DrainClient
import DrainProtocol
import DrainTestSupport
import Foundation
import Testing

@testable import DrainControl

// Taking turns with the abuse run: its 1,000 clients share this process's event loops and cooperative
// threads, and would hold these connections up past their deadline.
extension TimingSensitive {
    /// The server's own shutdown: whatever its clients are doing, every connection is closed and every task
    /// it started has ended when ``ControlServer/run()`` returns.
    @Suite("control server shutdown", .timeLimit(.minutes(5)))
    struct ShutdownTests {
        /// Clients connecting in a loop while the server stops, so some connections are accepted by the
        /// kernel or by NIO just as the listener closes. Before ``AcceptedChannels`` owned them, such a
        /// connection was now and then never read nor closed (its client waited for ever), or NIO trapped on
        /// its dropped wrapper.
        @Test("connections accepted while the server shuts down are all answered or closed")
        func acceptedDuringShutdown() async throws {
            let harness = try await ServerHarness()
            let path = harness.socketPath
            let served = Counter()
            let stuck = Counter()
            await withTaskGroup(of: Void.self) { clients in
                for _ in 0..<48 {
                    clients.addTask { await Self.churn(path: path, served: served, stuck: stuck) }
                }
                // Under way before the stop: every client has been served at least once (a condition, not
                // a fixed time, which a loaded machine could spend before the first connection was served).
                try? await eventually("the clients served") { served.value > 48 }
                let stopping = ContinuousClock.now
                await harness.stop()
                let stopped = ContinuousClock.now - stopping
                // The close grace (500 ms) plus closing: no connection may hold the server up.
                #expect(stopped < .seconds(5), "the server took \(stopped) to stop")
                #expect(harness.server.accepted.count == 0)
                #expect(harness.server.connectionCount == 0)
            }
            #expect(served.value > 48, "the clients completed only \(served.value) round trips")
            #expect(stuck.value == 0, "\(stuck.value) connections were neither answered nor closed within 5 s")
        }

        /// Connects, asks for status, waits for the reply or the close, and again, until the socket is gone.
        static func churn(path: String, served: Counter, stuck: Counter) async {
            while true {
                do {
                    try await withControlDeadline(.seconds(5)) {
                        try await LineClient.with(path: path) { client in
                            try await client.send("{\"op\":\"status\"}\n")
                            _ = try await client.reply()
                        }
                    }
                    served.add(1)
                } catch let error as ControlError where error.code == .connectionLost {
                    stuck.add(1)
                    return
                } catch {
                    // Refused or reset: the listener is gone.
                    return
                }
            }
        }
    }
}
