import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A child process with its output in files (a pipe nobody drains could block it).
final class Spawned {
    let process = Process()
    let stdoutURL: URL
    let stderrURL: URL

    init(_ executable: URL, _ arguments: [String], environment: [String: String], in sandbox: Sandbox) throws {
        let tag = UUID().uuidString.prefix(6)
        stdoutURL = sandbox.root.appendingPathComponent("\(executable.lastPathComponent)-\(tag).out")
        stderrURL = sandbox.root.appendingPathComponent("\(executable.lastPathComponent)-\(tag).err")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the exit and returns the exit code (128 + signal when killed by one).
    func wait(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                Issue.record(
                    "process \(process.executableURL?.lastPathComponent ?? "?") did not exit in time; stderr:\n\(stderr)"
                )
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return process.terminationReason == .uncaughtSignal
            ? 128 + process.terminationStatus : process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Runs `drainctl` to the end and returns its exit code and output.
func drainctl(_ arguments: [String], in sandbox: Sandbox, timeout: Duration = .seconds(60)) async throws
    -> (code: Int32, out: String, err: String)
{
    let child = try Spawned(Binaries.drainctl, arguments, environment: sandbox.environment, in: sandbox)
    let code = try await child.wait(timeout: timeout)
    return (code, child.stdout, child.stderr)
}

/// Starts `drain-demo` in the sandbox and waits until its socket answers.
func startDemo(_ arguments: [String], in sandbox: Sandbox, name: String = "demo") async throws -> Spawned {
    let demo = try Spawned(
        Binaries.demo,
        ["--name", name, "--journal", sandbox.journal, "--report", sandbox.report, "--record", sandbox.record]
            + arguments,
        environment: sandbox.environment, in: sandbox
    )
    let socket = "\(sandbox.runDir)/\(name).\(demo.pid).sock"
    let deadline = ContinuousClock.now + .seconds(20)
    while !FileManager.default.fileExists(atPath: socket) {
        if !demo.process.isRunning {
            Issue.record("drain-demo exited early: \(demo.stderr)")
            throw CancellationError()
        }
        if ContinuousClock.now > deadline {
            Issue.record("drain-demo did not create its socket")
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(10))
    }
    return demo
}

/// Polls until `condition` holds, failing after `timeout`.
func waitUntil(
    timeout: Duration = .seconds(20), _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out waiting for \(what)", sourceLocation: sourceLocation)
    throw CancellationError()
}
