import DrainSpawn
import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A `drain-demo` on a PostgreSQL journal, its output and record in a directory of its own.
final class Demo {
    let child: ChildProcess
    let directory: URL
    let name: String

    init(_ name: String, url: String, arguments: [String] = [], environment: [String: String] = [:]) throws {
        self.name = name
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("drain-fleet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let record = directory.appendingPathComponent("record")
        child = try ChildProcess(
            executable: Binaries.demo.path,
            arguments: ["--name", name, "--run-dir", directory.path, "--record", record.path]
                + (url.isEmpty ? [] : ["--postgres", url]) + arguments,
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
            outputPath: directory.appendingPathComponent("output").path)
    }

    var record: URL { directory.appendingPathComponent("record") }
    var output: String { (try? String(contentsOf: directory.appendingPathComponent("output"), encoding: .utf8)) ?? "" }
    var recordLines: [String] {
        ((try? String(contentsOf: record, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func signal(_ signal: Int32) { child.signal(signal) }

    /// Waits for the exit; returns the exit code, or 128 + the signal.
    func wait(timeout: Duration = defaultWaitTimeout) async throws -> Int32 {
        if let code = await child.wait(upTo: timeout) { return code }
        child.signal(SIGKILL)
        Issue.record("drain-demo \(name) did not exit in time:\n\(output)")
        throw CancellationError()
    }

    deinit {
        // ChildProcess's own deinit kills and reaps a child that still runs.
        try? FileManager.default.removeItem(at: directory)
    }
}
