import Drain
import DrainPostgres
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// The README's fleet example, compiled; a test keeps the two identical.
enum ReadmeFleetExample {
    static func send(_ payload: Data) async throws {}

    static func run(url: String, logger: Logger) async throws {
        // BEGIN README FLEET EXAMPLE
        let journal = try PostgresJournal(configuration: PostgresJournalConfiguration(url: url), logger: logger)
        let pool = WorkerPool(
            configuration: WorkerPoolConfiguration(name: "shop"), journal: journal,
            signals: await DrainSignal.unixSignals(), logger: logger)
        pool.register(kind: "email.send") { job in try await send(job.payload) }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: journal),  // first, so it stops last
                    .init(service: pool, successTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: [], cancellationSignals: [], logger: logger))
        try await group.run()
        // END README FLEET EXAMPLE
    }
}

@Suite("README fleet example")
struct ReadmeFleetExampleTests {
    @Test("the README's fleet example is the one these tests compile")
    func same() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let shown = try #require(
            section(readme, "<!-- fleet-example:begin -->\n```swift\n", "```\n<!-- fleet-example:end -->"))
        let compiled = try #require(
            section(source, "// BEGIN README FLEET EXAMPLE\n", "        // END README FLEET EXAMPLE"))
        let dedented = compiled.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("        ") ? String($0.dropFirst(8)) : String($0) }.joined(separator: "\n")
        #expect(dedented == shown)
    }

    private func section(_ text: String, _ start: String, _ end: String) -> String? {
        guard let from = text.range(of: start), let to = text.range(of: end, range: from.upperBound..<text.endIndex)
        else { return nil }
        return String(text[from.upperBound..<to.lowerBound])
    }
}
