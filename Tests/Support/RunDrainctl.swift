import DrainSpawn
import Foundation

/// Runs the built drainctl to its end; stdout and stderr together in the output, as a user sees them, and
/// the exit code (`nil`: still running after 30 s, and killed).
///
/// Spawned with `posix_spawn` and awaited without blocking: a test that blocks one of the cooperative pool's
/// two threads stalls every other test of the run.
/// - Parameters:
///   - arguments: drainctl's arguments.
///   - environment: Variables set over the test process's own.
public func runDrainctl(
    _ arguments: [String], environment: [String: String] = [:]
) async throws -> (code: Int32?, out: String) {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("drainctl-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: output) }
    let child = try ChildProcess(
        executable: Binaries.drainctl.path, arguments: arguments,
        environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }, outputPath: output)
    let code = await child.wait(upTo: .seconds(30))
    return (code, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
}
