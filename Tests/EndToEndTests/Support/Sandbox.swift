import DrainTestSupport
import Foundation

/// A private directory per test, removed at the end.
final class Sandbox {
    let root: URL
    var runDir: String { root.appendingPathComponent("run").path }
    var journal: String { root.appendingPathComponent("journal.sqlite").path }
    var report: String { root.appendingPathComponent("report.json").path }
    var record: String { root.appendingPathComponent("record.log").path }

    init() throws {
        // Short paths: a Unix socket path must fit in 107 bytes.
        root = URL(fileURLWithPath: "/tmp/dc-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["DRAINCTL_RUN_DIR"] = runDir
        environment["SWIFT_BACKTRACE"] = "enable=no"
        return environment
    }

    func reportJSON() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: report))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// The handler's own record: job id → attempts started, and the ids that finished.
    func recordedRuns() throws -> (starts: [Int: Int], done: Set<Int>) {
        let text = (try? String(contentsOfFile: record, encoding: .utf8)) ?? ""
        var starts: [Int: Int] = [:]
        var done: Set<Int> = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count >= 2, let id = Int(parts[1]) else { continue }
            if parts[0] == "start" { starts[id, default: 0] += 1 }
            // A job that ran to its end, successfully or with its own error, is finished either way.
            if parts[0] == "done" || parts[0] == "failed" { done.insert(id) }
        }
        return (starts, done)
    }

    deinit { try? FileManager.default.removeItem(at: root) }
}
