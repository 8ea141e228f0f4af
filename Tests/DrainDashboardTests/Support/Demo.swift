import DrainClient
import DrainDashboard
import DrainProtocol
import DrainSpawn
import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A `drain-demo` for one test, in the test's sandbox, killed at the end if it still runs.
final class Demo {
    let child: ChildProcess
    let socket: String

    /// Starts it and waits until its socket answers.
    init(_ arguments: [String], in sandbox: Sandbox, name: String = "demo") async throws {
        child = try ChildProcess(
            executable: Binaries.demo.path,
            arguments: ["--name", name, "--journal", sandbox.root + "/\(name).sqlite", "--log-level", "warning"]
                + arguments,
            environment: sandbox.environment, outputPath: sandbox.root + "/\(name).log"
        )
        socket = "\(sandbox.runDir)/\(name).\(child.pid).sock"
        try await eventuallyValue("drain-demo listening on \(socket)") {
            SocketProbe.probe(path: socket) == .live ? true : nil
        }
    }

    var pid: Int32 { child.pid }

    deinit { child.signal(SIGKILL) }
}

/// Runs `drainctl` to the end with stdin from /dev/null and output in files.
func runDrainctl(_ arguments: [String], in sandbox: Sandbox) async throws -> (code: Int32?, output: String) {
    let output = sandbox.root + "/drainctl-\(UUID().uuidString.prefix(6)).out"
    let child = try ChildProcess(
        executable: Binaries.drainctl.path, arguments: arguments, environment: sandbox.environment, outputPath: output)
    let code = await child.wait(upTo: .seconds(30))
    return (code, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
}
