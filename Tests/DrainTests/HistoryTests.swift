import Drain
import Foundation
import Testing

@Suite("Duration history across a restart", .timeLimit(.minutes(5)))
struct HistoryTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("history-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    @Test("a restarted pool predicts from what its predecessor observed")
    func restart() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            let first = try PoolHarness(concurrency: 12, journalDirectory: directory)
            try await first.start()
            for _ in 0..<12 { try await first.pool.submit(kind: "wait", payload: Data([1])) }
            try await eventually("started") { first.gates[1].arrivals == 12 }
            try await Task.sleep(for: .milliseconds(150))
            first.gates[1].open()
            try await eventually("done") { first.snapshot().completed == 12 }
            let kind = try #require(first.snapshot().kinds.first { $0.kind == "wait" })
            #expect(kind.predictionSource == .history)
            try first.pool.drain()
            try await first.finished()
        }
        let second = try PoolHarness(journalDirectory: directory)
        try await second.start()
        let kind = try #require(second.snapshot().kinds.first { $0.kind == "wait" })
        #expect(kind.samples == 12)
        #expect(kind.predictionSource == .history)
        // Measured by the journal's wall clock: the 150 ms the jobs were held, not the harness's manual clock.
        let p50 = try #require(kind.p50Seconds)
        #expect(p50 >= 0.14 && p50 < 5)
        try await second.pool.submit(kind: "wait")
        try await eventually("started") { second.gate.arrivals == 1 }
        #expect(second.snapshot().oldestJobs.first?.predictionSource == .history)
        try second.pool.drain()
        second.gate.open()
        try await second.finished()
    }
}
