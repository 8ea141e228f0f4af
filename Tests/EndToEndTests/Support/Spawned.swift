import DrainSpawn
import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A child process with its output in files (a pipe nobody drains could block it).
///
/// Started with ``ChildProcess`` and reaped by its pid, not with Foundation's `Process`: that one learns of
/// an exit from EOF on a socket pair, which never comes while any other child holds a copy of its end.
final class Spawned {
    let child: ChildProcess
    let name: String
    let stdoutURL: URL
    let stderrURL: URL

    init(_ executable: URL, _ arguments: [String], environment: [String: String], in sandbox: Sandbox) throws {
        let tag = UUID().uuidString.prefix(6)
        name = executable.lastPathComponent
        stdoutURL = sandbox.root.appendingPathComponent("\(name)-\(tag).out")
        stderrURL = sandbox.root.appendingPathComponent("\(name)-\(tag).err")
        child = try ChildProcess(
            executable: executable.path, arguments: arguments, environment: environment,
            outputPath: stdoutURL.path, errorPath: stderrURL.path)
    }

    var pid: Int32 { child.pid }
    var isRunning: Bool { child.exitCode == nil }
    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    func signal(_ signal: Int32) { child.signal(signal) }

    /// Waits for the exit and returns the exit code (128 + signal when killed by one).
    func wait(timeout: Duration = defaultWaitTimeout) async throws -> Int32 {
        if let code = await child.wait(upTo: timeout) { return code }
        child.signal(SIGTERM)
        Issue.record("process \(name) did not exit in time; stderr:\n\(stderr)")
        throw CancellationError()
    }
}

/// Runs `drainctl` to the end and returns its exit code and output.
func drainctl(_ arguments: [String], in sandbox: Sandbox, timeout: Duration = defaultWaitTimeout) async throws
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
    try await eventually("drain-demo to create its socket") {
        guard demo.isRunning else {
            Issue.record("drain-demo exited early: \(demo.stderr)")
            throw CancellationError()
        }
        return FileManager.default.fileExists(atPath: socket)
    }
    return demo
}

/// Starts `drain-demo` with jobs that outlast half a second, waits until some are in flight, and forces
/// its drain with `drainctl shutdown --grace 0.5`: the forced drain several tests start from. Returns
/// the shutdown's result, the demo, and its exit code once it has exited.
func forceDemoDrain(in sandbox: Sandbox) async throws
    -> (shutdown: (code: Int32, out: String, err: String), demo: Spawned, exit: Int32)
{
    let demo = try await startDemo(["--rate", "30", "--duration-scale", "20", "--cancel-window", "0.2"], in: sandbox)
    try await eventually("jobs in flight") {
        let s = try await drainctl(["status", "--json"], in: sandbox)
        return s.out.contains("\"in_flight_jobs\":") && !s.out.contains("\"in_flight_jobs\":0")
    }
    let shutdown = try await drainctl(["shutdown", "--grace", "0.5", "--reason", "test"], in: sandbox)
    return (shutdown, demo, try await demo.wait())
}
