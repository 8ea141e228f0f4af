import DrainClient
import DrainProtocol
import DrainSpawn
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
        return url.appendingPathComponent(".build/debug/drain-vapor-example")
    }()

    let root: URL
    let child: ChildProcess
    var port = 0
    var runDir: String { root.appendingPathComponent("run").path }
    var reportPath: String { root.appendingPathComponent("report.json").path }
    var stderrPath: String { root.appendingPathComponent("stderr").path }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    var socket: String { "\(runDir)/example.\(child.pid).sock" }

    init(_ arguments: [String]) async throws {
        // Short: a Unix socket path must fit in 107 bytes.
        root = URL(fileURLWithPath: "/tmp/dv-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let portFile = root.appendingPathComponent("port").path
        // ChildProcess, not Foundation's Process: a tmux server started meanwhile would keep the end of
        // the socket pair by which Process learns of an exit.
        let root = self.root
        child = try ChildProcess(
            executable: Self.binary.path,
            arguments: [
                "--name", "example", "--port", "0", "--port-file", portFile,
                "--run-dir", root.appendingPathComponent("run").path,
                "--report", root.appendingPathComponent("report.json").path,
                "--journal", root.appendingPathComponent("journal.sqlite").path,
            ] + arguments,
            environment: ProcessInfo.processInfo.environment, outputPath: "/dev/null",
            errorPath: root.appendingPathComponent("stderr").path)
        let deadline = ContinuousClock.now + .seconds(20)
        while port == 0 || !FileManager.default.fileExists(atPath: socket) {
            port =
                Int(
                    ((try? String(contentsOfFile: portFile, encoding: .utf8)) ?? "").trimmingCharacters(
                        in: .whitespacesAndNewlines)) ?? 0
            guard child.exitCode == nil, ContinuousClock.now < deadline else {
                Issue.record("the example did not start: \(stderr)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func signal(_ number: Int32) { child.signal(number) }

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
        guard let code = await child.wait(upTo: .seconds(20)) else {
            Issue.record("timed out waiting for the example to exit")
            throw CancellationError()
        }
        return code
    }

    func report() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: reportPath))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    deinit {
        // ChildProcess's own deinit kills and reaps it if it still runs.
        try? FileManager.default.removeItem(at: root)
    }
}
