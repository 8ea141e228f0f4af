import DrainTestSupport
import Foundation
import Testing

/// `drain-chaos calibrate`, short: real drains of the real demo. It judges that the harness works, not
/// the figures, which two drains cannot measure (docs/PREDICTIONS.md has those).
@Suite("drain-chaos calibrate", .timeLimit(.minutes(5)))
struct CalibrateTests {
    static var chaos: URL { Binaries.directory.appendingPathComponent("drain-chaos") }

    @Test("a short calibration drains the demo and writes its report, its observations and an SVG reliability plot")
    func shortRun() async throws {
        let sandbox = try Sandbox()
        let out = sandbox.root.appendingPathComponent("calibration")
        let child = try Spawned(
            Self.chaos,
            [
                // Jobs ×5 longer than the default scale and the prediction read as the drain starts: each
                // drain still has its jobs in flight when the prediction is read, so there are buckets.
                "calibrate", "--drains", "2", "--warm-up", "2", "--graces", "1-2", "--planner-every", "2",
                "--duration-scale", "5", "--sample-after", "0",
                "--planner-cap", "5", "--seed", "3", "--json", "--quiet", "--demo", Binaries.demo.path, "--out",
                out.path,
            ],
            environment: sandbox.environment, in: sandbox)
        let code = try await child.wait(timeout: .seconds(90))
        #expect(code == 0, "stderr: \(child.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(child.stdout.utf8)) as? [String: Any])
        #expect(report["drains"] as? Int == 2)
        // One planner drain: on its own grace, or on the cap when it asked for more than 5 s.
        #expect((report["planned_drains"] as? Int ?? 0) + (report["capped_drains"] as? Int ?? 0) == 1)
        let scores = try #require(report["scores"] as? [[String: Any]])
        #expect(scores.compactMap { $0["predictor"] as? String } == ["model", "previous", "naive", "oracle"])
        let jobs = try #require(report["jobs"] as? Int)
        #expect(scores.allSatisfy { $0["jobs"] as? Int == jobs })
        let lines = try String(contentsOf: out.appendingPathComponent("observations.jsonl"), encoding: .utf8)
            .split(separator: "\n")
        #expect(lines.count == 2)
        // The reliability diagram is SVG: a real renderer draws it at its declared size, and the model's
        // squares (one per probability bucket that has jobs) are in it.
        let svgPath = out.appendingPathComponent("reliability.svg").path
        let svg = try String(contentsOfFile: svgPath, encoding: .utf8)
        #expect(svg.hasPrefix("<?xml") && svg.hasSuffix("</svg>\n"))
        let modelBuckets = (scores.first?["reliability"] as? [[String: Any]])?.count ?? 0
        #expect(modelBuckets > 0)
        #expect(svg.components(separatedBy: "<title>model: ").count - 1 == modelBuckets)
        let rendered = try await shell(
            "rsvg-convert \"$1\" -o \"$1.png\" && python3 -c \"import struct,sys; d=open(sys.argv[1],'rb').read(24); "
                + "print(*struct.unpack('>II', d[16:24]))\" \"$1.png\"", [svgPath])
        #expect(rendered.code == 0, "\(rendered.out)")
        #expect(rendered.out.trimmingCharacters(in: .whitespacesAndNewlines) == "480 504")
    }

    @Test("--all-conditions runs the four conditions side by side; a rescore judges each target again")
    func allConditions() async throws {
        let sandbox = try Sandbox()
        let out = sandbox.root.appendingPathComponent("conditions")
        let child = try Spawned(
            Self.chaos,
            [
                "calibrate", "--all-conditions", "--drains", "1", "--warm-up", "2", "--graces", "1-2",
                "--planner-every", "1", "--planner-cap", "5", "--seed", "7", "--json", "--quiet", "--demo",
                Binaries.demo.path, "--out", out.path,
            ],
            environment: sandbox.environment, in: sandbox)
        let code = try await child.wait(timeout: .seconds(90))
        #expect(code == 0, "stderr: \(child.stderr)")
        let comparison = try #require(
            try JSONSerialization.jsonObject(with: Data(child.stdout.utf8)) as? [String: Any])
        let rows = try #require(comparison["rows"] as? [[String: Any]])
        #expect(rows.compactMap { $0["condition"] as? String } == ["A", "B", "C", "D"])
        // Seeds --seed … --seed + 3, in order: each condition replays alone with its own seed.
        #expect(rows.compactMap { ($0["report"] as? [String: Any])?["seed"] as? Int } == [7, 8, 9, 10])
        #expect(
            rows.allSatisfy {
                let report = $0["report"] as? [String: Any]
                return (report?["planned_drains"] as? Int ?? 0) + (report?["capped_drains"] as? Int ?? 0) == 1
            })
        for condition in ["A", "B", "C", "D"] {
            let lines = try String(
                contentsOf: out.appendingPathComponent("\(condition)/observations.jsonl"), encoding: .utf8)
            #expect(lines.split(separator: "\n").count == 1)
        }

        // Condition A's drain rewritten: one e-mail a second old, said certain to miss with 5 s left, and
        // it did not. The model's Brier score is 1; the oracle's, which knows an e-mail of that age is
        // nearly always done 5 s later, is near 0: that target is missed, and the whole comparison with it.
        let file = out.appendingPathComponent("A/observations.jsonl")
        var drain = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        drain["ended_before_sample"] = false
        drain["seconds_left"] = 5.0
        drain["expected_misses"] = 1.0
        drain["jobs"] = [
            ["id": 1, "kind": "email.send", "age_seconds": 1.0, "p_miss": 1.0, "source": "prior", "missed": false]
        ]
        try JSONSerialization.data(withJSONObject: drain).write(to: file)
        let rescore = try Spawned(
            Self.chaos, ["calibrate", "--rescore", out.path, "--json"], environment: sandbox.environment, in: sandbox)
        #expect(try await rescore.wait() == 0, "stderr: \(rescore.stderr)")
        let judged = try #require(try JSONSerialization.jsonObject(with: Data(rescore.stdout.utf8)) as? [String: Any])
        #expect(judged["met"] as? Bool == false)
        let first = try #require((judged["rows"] as? [[String: Any]])?.first)
        let targets = try #require(first["targets"] as? [String: Any])
        #expect(targets["brier"] as? Bool == false)
        let model = try #require(
            ((first["report"] as? [String: Any])?["scores"] as? [[String: Any]])?.first {
                $0["predictor"] as? String == "model"
            })
        #expect(model["brier"] as? Double == 1)
    }

    @Test("--all-conditions with --fresh-journal or --declared is refused with exit 64")
    func allConditionsConflicts() async throws {
        let sandbox = try Sandbox()
        let child = try Spawned(
            Self.chaos, ["calibrate", "--all-conditions", "--declared", "--demo", Binaries.demo.path],
            environment: sandbox.environment, in: sandbox)
        #expect(try await child.wait() == 64)
        #expect(child.stderr.contains("--all-conditions runs every condition"))
    }

    @Test("a grace range that is not MIN-MAX is refused with exit 64 and says why")
    func badGraces() async throws {
        let sandbox = try Sandbox()
        let child = try Spawned(
            Self.chaos, ["calibrate", "--graces", "10-3", "--demo", Binaries.demo.path],
            environment: sandbox.environment, in: sandbox)
        #expect(try await child.wait() == 64)
        #expect(child.stderr.contains("--graces must be MIN-MAX"))
    }
}
