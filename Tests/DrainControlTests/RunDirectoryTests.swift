import Drain
import DrainClient
import DrainSQLite
import Foundation
import Logging
import Testing

@testable import DrainControl

#if canImport(Glibc)
    import Glibc
#endif

/// Run-directory attacks: a directory another user owns is refused, however open its modes, both when
/// checked and when a server would create its socket there.
@Suite("run directory", .timeLimit(.minutes(5)), .enabled(if: geteuid() == 0, "chown needs root"))
struct RunDirectoryTests {
    static let nobody: uid_t = 65534

    @Test("a run directory owned by another uid is refused, naming the directory", arguments: [0o700, 0o755, 0o777])
    func foreignOwner(mode: Int) async throws {
        let root = "/tmp/dcr-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/run"
        try #require(mkdir(path, 0o700) == 0)
        try #require(chown(path, Self.nobody, gid_t(Self.nobody)) == 0, "chown: \(String(cString: strerror(errno)))")
        try #require(chmod(path, mode_t(mode)) == 0)
        let directory = RunDirectory(path: path)

        for check in [directory.verify, directory.prepare] {
            let error = #expect(throws: ControlError.self) { try check() }
            #expect(error?.code == .unsafeRunDirectory)
            #expect(error?.message.contains(path) == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("uid \(Self.nobody)") == true, "\(error?.message ?? "")")
        }

        // A server refuses to bind there, and leaves no socket behind.
        let pool = WorkerPool(
            configuration: WorkerPoolConfiguration(name: "foreign"),
            journal: try SQLiteJournal(path: root + "/j.sqlite"),
            logger: Logger(label: "drainctl.tests", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let logger = Logger(label: "drainctl.tests", factory: { _ in SwiftLogNoOpLogHandler() })
        let bindError = await #expect(throws: ControlError.self) {
            _ = try await ControlServer.bind(pool: pool, configuration: .init(runDirectory: directory), logger: logger)
        }
        #expect(bindError?.code == .unsafeRunDirectory)
        #expect(directory.entries().isEmpty)
    }
}
