import DrainClient
import DrainTestSupport
import Foundation
import PropertyBased
import Testing

@testable import DrainControl

// Taking turns with the abuse run, whose 1,000 clients share this process's event loops: the check
// that every connection is released has a deadline.
extension TimingSensitive {
    /// Fuzz frames against a live server on a real socket: every frame answered with the right code, no
    /// crash, and the server still answers `status` afterwards.
    ///
    /// `DRAINCTL_FUZZ_FRAMES` sets the number of frames: 1,000 by default, so the suite stays quick in a
    /// debug build; the full run is `DRAINCTL_FUZZ_FRAMES=100000`.
    @Suite("control server under fuzzing", .timeLimit(.minutes(5)))
    struct LiveFuzzTests {
        static let frames = FuzzFrame.budget(smoke: 1_000)
        static let batch = 64

        @Test("random bytes, truncated and deep JSON, wrong types, unknown ops, huge and split lines")
        func liveFuzz() async throws {
            let harness = try await ServerHarness()
            let start = ContinuousClock.now
            let sent = Counter()
            do {
                try await LineClient.with(path: harness.socketPath) { client in
                    // Subscribed, so replies are interleaved with pushed events (every valid command is one)
                    // and a second `subscribe` must be refused.
                    try await client.send("{\"op\":\"subscribe\",\"id\":1,\"interval_ms\":60000}\n")
                    #expect(try await client.reply()?["ok"] as? Bool == true)
                    let batches = FuzzFrame.generator.array(of: Self.batch)
                    await propertyCheck(count: max(1, Self.frames / Self.batch), input: batches) { frames in
                        try await Self.exchange(frames, client: client, path: harness.socketPath)
                        sent.add(frames.count)
                    }
                }
                let snapshot = try await ControlClient.withConnection(path: harness.socketPath) {
                    try await $0.status()
                }
                #expect(snapshot.phase == .running)
                let elapsed = ContinuousClock.now - start
                print("live fuzz: \(sent.value) frames in \(elapsed), server still answers status")
                #expect(sent.value >= Self.frames - Self.batch)
                try await eventually("every fuzz connection released") {
                    harness.server.connectionCount == 0
                }
            } catch {
                await harness.stop()
                throw error
            }
            await harness.stop()
        }

        /// Sends a batch (pipelined, split frames a few bytes per write) and checks each reply in order.
        /// Over-long frames close their connection, so each goes on a connection of its own.
        static func exchange(_ frames: [FuzzFrame], client: LineClient, path: String) async throws {
            let inline = frames.filter { $0.expect != .closes }
            var pending: [UInt8] = []
            for frame in inline {
                guard frame.split else {
                    pending += frame.wire
                    continue
                }
                if !pending.isEmpty { try await client.send(pending) }
                pending = []
                var offset = 0
                let wire = frame.wire
                while offset < wire.count {
                    let size = min(1 + offset % 3, wire.count - offset)
                    try await client.send(Array(wire[offset..<offset + size]))
                    offset += size
                }
            }
            if !pending.isEmpty { try await client.send(pending) }
            for frame in inline {
                let reply = try #require(try await client.reply(), "no reply to \(frame)")
                check(reply, against: frame)
            }
            for frame in frames where frame.expect == .closes {
                try await LineClient.with(path: path) { huge in
                    try await huge.send(frame.wire)
                    let reply = try #require(try await huge.reply(), "no reply to \(frame)")
                    #expect(reply.errorCode == "line_too_long", "\(frame): \(reply)")
                    #expect(try await huge.next() == nil, "the connection stays open after \(frame)")
                }
            }
        }

        static func check(_ reply: [String: Any], against frame: FuzzFrame) {
            switch frame.expect {
            case .ok(let id):
                #expect(reply["type"] as? String == "result" && reply["id"] as? Int == id, "\(frame): \(reply)")
            case .error(let code):
                #expect(reply["type"] as? String == "error" && reply["ok"] as? Bool == false, "\(frame): \(reply)")
                #expect(reply.errorCode == code, "\(frame): \(reply)")
                #expect(!(reply.errorMessage ?? "").isEmpty)
            case .closes:
                Issue.record("over-long frames are sent on their own connection")
            }
        }
    }
}
