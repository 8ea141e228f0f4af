import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A `drain-demo` on a PostgreSQL journal, its output and record in a directory of its own.
final class Demo {
    let process = Process()
    let directory: URL
    let name: String

    init(_ name: String, url: String, arguments: [String] = [], environment: [String: String] = [:]) throws {
        self.name = name
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("drain-fleet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let output = directory.appendingPathComponent("output")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        process.executableURL = Binaries.demo
        process.arguments =
            ["--name", name, "--run-dir", directory.path, "--record", record.path]
            + (url.isEmpty ? [] : ["--postgres", url]) + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: output)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var record: URL { directory.appendingPathComponent("record") }
    var output: String { (try? String(contentsOf: directory.appendingPathComponent("output"), encoding: .utf8)) ?? "" }
    var recordLines: [String] {
        ((try? String(contentsOf: record, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the exit; returns the exit code, or 128 + the signal.
    func wait(timeout: Duration = .seconds(30)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                kill(process.processIdentifier, SIGKILL)
                Issue.record("drain-demo \(name) did not exit in time:\n\(output)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return process.terminationReason == .uncaughtSignal
            ? 128 + process.terminationStatus : process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }
}
