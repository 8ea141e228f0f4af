import DrainTestSupport
import Foundation
import Testing

/// `drain-chaos calibrate`, short: real drains of the real demo. It judges that the harness works, not
/// the figures, which two drains cannot measure (docs/PREDICTIONS.md has those).
@Suite("drain-chaos calibrate", .timeLimit(.minutes(2)))
struct CalibrateTests {
    static var chaos: URL { Binaries.directory.appendingPathComponent("drain-chaos") }

    @Test("a short calibration drains the demo and writes its report, its observations and a reliability PNG")
    func shortRun() async throws {
        let sandbox = try Sandbox()
        let out = sandbox.root.appendingPathComponent("calibration")
        let child = try Spawned(
            Self.chaos,
            [
                "calibrate", "--drains", "2", "--warm-up", "2", "--graces", "1-2", "--planner-every", "2",
                "--planner-cap", "5", "--seed", "3", "--json", "--quiet", "--demo", Binaries.demo.path, "--out",
                out.path,
            ],
            environment: sandbox.environment, in: sandbox)
        let code = try await child.wait(timeout: .seconds(90))
        #expect(code == 0, "stderr: \(child.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(child.stdout.utf8)) as? [String: Any])
        #expect(report["drains"] as? Int == 2)
        #expect(report["planned_drains"] as? Int == 1)
        let scores = try #require(report["scores"] as? [[String: Any]])
        #expect(scores.compactMap { $0["predictor"] as? String } == ["model", "previous", "naive", "oracle"])
        let jobs = try #require(report["jobs"] as? Int)
        #expect(scores.allSatisfy { $0["jobs"] as? Int == jobs })
        let lines = try String(contentsOf: out.appendingPathComponent("observations.jsonl"), encoding: .utf8)
            .split(separator: "\n")
        #expect(lines.count == 2)
        let png = try Data(contentsOf: out.appendingPathComponent("reliability.png"))
        #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        // IHDR first: 480×480, 8-bit palette; IEND last; compressed well below the raw 230 KB.
        #expect(Array(png[12..<16]) == Array("IHDR".utf8))
        #expect(Array(png[16..<24]) == [0, 0, 0x01, 0xE0, 0, 0, 0x01, 0xE0])
        #expect(Array(png[24..<26]) == [8, 3])
        #expect(Array(png.suffix(8).prefix(4)) == Array("IEND".utf8))
        #expect(png.count < 100_000)
    }

    @Test("a grace range that is not MIN-MAX is refused with exit 64 and says why")
    func badGraces() async throws {
        let sandbox = try Sandbox()
        let child = try Spawned(
            Self.chaos, ["calibrate", "--graces", "10-3", "--demo", Binaries.demo.path],
            environment: sandbox.environment, in: sandbox)
        #expect(try await child.wait(timeout: .seconds(30)) == 64)
        #expect(child.stderr.contains("--graces must be MIN-MAX"))
    }
}
