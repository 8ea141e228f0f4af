import DrainSpawn
import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// docs/PROTOCOL.md's "Try it with socat" section, run line by line against a live drain-demo: every
/// command prints JSON lines, and every `"key":value` its `# →` comment shows is in what it printed.
@Suite(
    "PROTOCOL.md's socat lines",
    .timeLimit(.minutes(5)),
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/socat"), "needs socat (apt install socat)"))
struct ProtocolSocatTests {
    struct Line {
        var command: String
        var expected: String
    }

    /// The shell lines of the section, the `S=…` assignment first.
    static func lines() throws -> [Line] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/PROTOCOL.md").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let section = try #require(text.range(of: "## Try it with socat"))
        let rest = text[section.upperBound...]
        let open = try #require(rest.range(of: "```sh\n"))
        let close = try #require(rest[open.upperBound...].range(of: "```"))
        return rest[open.upperBound..<close.lowerBound].split(separator: "\n").map { line in
            let parts = line.components(separatedBy: "# →")
            return Line(
                command: parts[0].trimmingCharacters(in: .whitespaces),
                expected: parts.count > 1 ? parts[1] : "")
        }
    }

    /// `"key":value` pairs with a scalar value, and `"key":{` for objects, from an expectation comment.
    static func fragments(_ expected: String) -> [(key: String, value: String?)] {
        expected.matches(of: /"([a-z_]+)":(\{|"[^"]*"|-?[0-9.]+|true|false)/).map { match in
            (String(match.1), match.2 == "{" ? nil : String(match.2))
        }
    }

    /// Whether `key` holds `value` (its JSON text) anywhere in `object`, or holds an object when `value` is nil.
    static func contains(_ object: Any, key: String, value: String?) -> Bool {
        if let dictionary = object as? [String: Any] {
            if let found = dictionary[key] {
                if value == nil, found is [String: Any] { return true }
                if let value, let data = try? JSONSerialization.data(withJSONObject: found, options: .fragmentsAllowed),
                    let expected = try? JSONSerialization.jsonObject(
                        with: Data(value.utf8), options: .fragmentsAllowed),
                    let again = try? JSONSerialization.data(withJSONObject: expected, options: .fragmentsAllowed),
                    data == again
                {
                    return true
                }
            }
            return dictionary.values.contains { contains($0, key: key, value: value) }
        }
        if let array = object as? [Any] { return array.contains { contains($0, key: key, value: value) } }
        return false
    }

    @Test("every line of the section gets the reply its comment shows")
    func section() async throws {
        let lines = try Self.lines()
        #expect(lines.count >= 7)
        #expect(lines.first?.command.hasPrefix("S=") == true)
        let sandbox = try Sandbox()
        // Long jobs keep the drain going while the lines after `shutdown` run.
        let demo = try await startDemo(["--rate", "40", "--duration-scale", "20"], in: sandbox)
        try await eventually("jobs in flight") {
            let status = try await drainctl(["status", "--json"], in: sandbox)
            let object = try? JSONSerialization.jsonObject(with: Data(status.out.utf8)) as? [String: Any]
            return (object?["in_flight"] as? Int ?? 0) > 0
        }
        for (index, line) in lines.dropFirst().enumerated() {
            // ChildProcess, not Foundation's Process: it resets the signal mask, so `timeout`'s SIGTERM
            // reaches socat as it would from a shell.
            let output = "\(sandbox.root.path)/line-\(index).out"
            let shell = try ChildProcess(
                executable: "/bin/sh", arguments: ["-c", lines[0].command + "; " + line.command],
                environment: sandbox.environment, outputPath: output)
            let code = await shell.wait(upTo: .seconds(15))
            let stdout = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            // `timeout` ends the subscription on purpose (124).
            #expect(code == 0 || (line.command.contains("timeout ") && code == 124), "\(line.command): \(stdout)")
            let printed = stdout.split(separator: "\n").map(String.init)
            #expect(!printed.isEmpty, "\(line.command) printed nothing")
            let objects = printed.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) }
            #expect(objects.count == printed.count, "\(line.command) printed a line that is not JSON:\n\(stdout)")
            let fragments = Self.fragments(line.expected)
            #expect(!fragments.isEmpty, "\(line.command) has no expected reply in its comment")
            for fragment in fragments {
                #expect(
                    objects.contains { Self.contains($0, key: fragment.key, value: fragment.value) },
                    "\(line.command): no \"\(fragment.key)\":\(fragment.value ?? "{…}") in\n\(stdout)")
            }
        }
        demo.signal(SIGQUIT)
        _ = try await demo.wait()
    }
}
