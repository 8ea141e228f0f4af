import DrainTestSupport
import Foundation
import Testing

/// `drainctl --generate-completion-script`: the scripts the install line puts in place, exercised in bash.
@Suite("Shell completions", .timeLimit(.minutes(5)))
struct CompletionTests {
    /// What bash offers for `line<TAB>`, from the generated script's completion function.
    func bashCompletes(_ words: [String]) async throws -> [String] {
        let sandbox = try Sandbox()
        let script = sandbox.root.appendingPathComponent("drainctl.bash").path
        let generated = try await drainctl(["--generate-completion-script", "bash"], in: sandbox)
        #expect(generated.code == 0)
        try generated.out.write(toFile: script, atomically: true, encoding: .utf8)
        let line = words.joined(separator: " ")
        let quoted = words.map { "'\($0)'" }.joined(separator: " ")
        let program = """
            source '\(script)'
            COMP_WORDS=(\(quoted)); COMP_CWORD=\(words.count - 1); COMP_LINE='\(line)'; COMP_POINT=\(line.count)
            _drainctl drainctl '\(words.last ?? "")' '\(words.dropLast().last ?? "")'
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let bash = try Spawned(
            URL(fileURLWithPath: "/bin/bash"), ["-c", program], environment: sandbox.environment, in: sandbox)
        #expect(try await bash.wait() == 0, "bash: \(bash.stderr)")
        return bash.stdout.split(separator: "\n").map(String.init)
    }

    @Test("bash completes the subcommands from a prefix")
    func subcommands() async throws {
        #expect(try await bashCompletes(["drainctl", "sh"]) == ["shutdown"])
        #expect(try await bashCompletes(["drainctl", "st"]) == ["status"])
        let all = try await bashCompletes(["drainctl", ""])
        for command in ["top", "shutdown", "status", "ls", "events", "demo"] {
            #expect(all.contains(command), "\(command) missing from \(all)")
        }
    }

    @Test("bash completes a subcommand's options")
    func options() async throws {
        let offered = try await bashCompletes(["drainctl", "shutdown", "--gr"])
        #expect(offered.contains("--grace"), "\(offered)")
        #expect(!offered.contains("--prune"), "ls's option is not shutdown's: \(offered)")
    }

    @Test("zsh and fish scripts name every subcommand")
    func otherShells() async throws {
        let sandbox = try Sandbox()
        for shell in ["zsh", "fish"] {
            let generated = try await drainctl(["--generate-completion-script", shell], in: sandbox)
            #expect(generated.code == 0)
            for command in ["top", "shutdown", "status", "ls", "events", "demo"] {
                #expect(generated.out.contains(command), "\(shell) script lacks \(command)")
            }
        }
    }
}
