import DrainClient
import DrainProtocol
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The example app, started in a private directory on a free port, as a user would run it.
final class ExampleApp {
    static let binary: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { break }
        }
        return url.appendingPathComponent(".build/debug/drain-hummingbird-example")
    }()

    let root: URL
    let process = Process()
    var port = 0
    var runDir: String { root.appendingPathComponent("run").path }
    var reportPath: String { root.appendingPathComponent("report.json").path }
    var stderrPath: String { root.appendingPathComponent("stderr").path }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    var socket: String { "\(runDir)/example.\(process.processIdentifier).sock" }

    init(_ arguments: [String]) async throws {
        // Short: a Unix socket path must fit in 107 bytes.
        root = URL(fileURLWithPath: "/tmp/dh-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let portFile = root.appendingPathComponent("port").path
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = Self.binary
        process.arguments =
            [
                "--name", "example", "--port", "0", "--port-file", portFile, "--run-dir", runDir, "--report",
                reportPath,
                "--journal", root.appendingPathComponent("journal.sqlite").path,
            ]
            + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(20)
        while port == 0 || !FileManager.default.fileExists(atPath: socket) {
            port =
                Int(
                    ((try? String(contentsOfFile: portFile, encoding: .utf8)) ?? "").trimmingCharacters(
                        in: .whitespacesAndNewlines)) ?? 0
            guard process.isRunning, ContinuousClock.now < deadline else {
                Issue.record("the example did not start: \(stderr)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    func status() async throws -> PoolSnapshot {
        try await ControlClient.withConnection(path: socket) { try await $0.status() }
    }

    func requests(_ count: Int, ms: Int) -> [Task<Result<Probe.Response, Probe.Failure>, Never>] {
        let port = self.port
        return (0..<count).map { _ in Task { await Probe.onThread { Probe.get(port: port, path: "/sleep?ms=\(ms)") } } }
    }

    func waitUntil(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("timed out waiting for \(what)")
        throw CancellationError()
    }

    /// Waits for the exit; returns the exit code.
    func wait() async throws -> Int32 {
        try await waitUntil("the example to exit") { !process.isRunning }
        return process.terminationStatus
    }

    func report() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: reportPath))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: root)
    }
}
