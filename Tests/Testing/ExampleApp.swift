import DrainClient
import DrainProtocol
import DrainSpawn
import Foundation
import Testing

/// An integration package's example app (drain-hummingbird-example, drain-vapor-example), started in a
/// private directory on a free port, as a user would run it.
///
/// The integration packages' tests share it, so each example is driven the same way: the same flags,
/// the same files, the same waits.
public final class ExampleApp {
    /// The example's binary, as the integration package's debug build leaves it.
    public let binary: URL
    /// The private directory: the run directory, the report, the journal and the example's stderr.
    public let root: URL
    let child: ChildProcess
    /// The HTTP port the example listens on.
    public private(set) var port = 0
    /// The example's pid.
    public var pid: Int32 { child.pid }
    /// The path of the report the example writes when it stops.
    public var reportPath: String { root.appendingPathComponent("report.json").path }
    /// What the example has written to stderr so far.
    public var stderr: String {
        (try? String(contentsOfFile: root.appendingPathComponent("stderr").path, encoding: .utf8)) ?? ""
    }
    /// The example's control socket.
    public var socket: String { root.appendingPathComponent("run").path + "/example.\(child.pid).sock" }

    /// Starts `product` from the debug build of the package that holds `packageFile`.
    ///
    /// - Parameters:
    ///   - product: The example's executable product.
    ///   - arguments: Flags after the ones every test passes (name, port, run directory, report, journal).
    ///   - packageFile: Any file of the integration package; the caller's own by default.
    public init(_ product: String, _ arguments: [String], packageFile: String = #filePath) async throws {
        var url = URL(fileURLWithPath: packageFile)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { break }
        }
        binary = url.appendingPathComponent(".build/debug/\(product)")
        // Short: a Unix socket path must fit in 107 bytes.
        root = URL(fileURLWithPath: "/tmp/ex-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let portFile = root.appendingPathComponent("port").path
        // ChildProcess, not Foundation's Process: a tmux server started meanwhile would keep the end of
        // the socket pair by which Process learns of an exit.
        child = try ChildProcess(
            executable: binary.path,
            arguments: [
                "--name", "example", "--port", "0", "--port-file", portFile,
                "--run-dir", root.appendingPathComponent("run").path,
                "--report", root.appendingPathComponent("report.json").path,
                "--journal", root.appendingPathComponent("journal.sqlite").path,
            ] + arguments,
            environment: ProcessInfo.processInfo.environment, outputPath: "/dev/null",
            errorPath: root.appendingPathComponent("stderr").path)
        port = try await eventuallyValue("\(product) to listen and open its socket") {
            guard child.exitCode == nil else {
                Issue.record("\(product) exited at start: \(stderr)")
                throw CancellationError()
            }
            let text = (try? String(contentsOfFile: portFile, encoding: .utf8)) ?? ""
            guard let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), port > 0,
                FileManager.default.fileExists(atPath: socket)
            else { return nil }
            return port
        }
    }

    /// Sends `number` to the example.
    public func signal(_ number: Int32) { child.signal(number) }

    /// The pool's snapshot, read over the control socket.
    public func status() async throws -> PoolSnapshot {
        try await ControlClient.withConnection(path: socket) { try await $0.status() }
    }

    /// Starts `count` GETs of `/sleep?ms=` on fresh connections, each on a thread of its own.
    public func requests(_ count: Int, ms: Int) -> [Task<Result<HTTPProbe.Response, HTTPProbe.Failure>, Never>] {
        let port = self.port
        return (0..<count).map { _ in
            Task { await HTTPProbe.onThread { HTTPProbe.get(port: port, path: "/sleep?ms=\(ms)") } }
        }
    }

    /// Waits for the exit; returns the exit code.
    public func wait() async throws -> Int32 {
        try await eventuallyValue("the example to exit") { child.exitCode }
    }

    /// The report the example wrote when it stopped, as JSON.
    public func report() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: reportPath))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    deinit {
        // ChildProcess's own deinit kills and reaps it if it still runs.
        try? FileManager.default.removeItem(at: root)
    }
}
