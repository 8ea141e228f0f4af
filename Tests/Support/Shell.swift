import DrainSpawn
import Foundation

/// Runs `script` under /bin/sh with `arguments` as $1…; stdout and stderr together (-1: no exit in 30 s).
///
/// Spawned with `posix_spawn` and awaited without blocking: a blocking wait holds one of the cooperative
/// pool's two threads and stalls every other test of the run.
public func shell(_ script: String, _ arguments: [String] = []) async throws -> (code: Int32, out: String) {
    let output = "/tmp/drain-shell-\(UUID().uuidString.prefix(8)).out"
    defer { try? FileManager.default.removeItem(atPath: output) }
    let child = try ChildProcess(
        executable: "/bin/sh", arguments: ["-c", script, "sh"] + arguments,
        environment: ProcessInfo.processInfo.environment, outputPath: output)
    let code = await child.wait(upTo: .seconds(30)) ?? -1
    return (code, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
}
