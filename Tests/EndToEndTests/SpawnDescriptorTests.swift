import DrainSpawn
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The children drainctl starts (`drainctl demo`, `drain-chaos`, the tests' servers) get no descriptor of
/// ours beyond the standard three and the one passed on purpose.
///
/// A leaked descriptor lives as long as the child. A long-lived child that caught the end of a socket pair
/// Foundation's `Process` watches for EOF made a finished drain-demo look alive for a whole CI run.
@Suite("spawned children and our descriptors")
struct SpawnDescriptorTests {
    /// Opens `/dev/null` without close-on-exec, as a descriptor held by another thread would be.
    func leakyDescriptor() throws -> Int32 {
        let fd = open("/dev/null", O_RDONLY)
        try #require(fd > 2)
        return fd
    }

    /// Runs a shell that says, for each descriptor, whether it is open in the child.
    func openInChild(_ descriptors: [Int32], inherit: Int32? = nil) async throws -> [String] {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("fds-\(UUID().uuidString)").path
        defer { unlink(output) }
        let probe = descriptors.map { "if [ -e /proc/$$/fd/\($0) ]; then echo \($0)=open; else echo \($0)=closed; fi" }
        let child = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", probe.joined(separator: "; ")], environment: [:],
            outputPath: output, inherit: inherit)
        #expect(await child.wait(upTo: .seconds(10)) == 0)
        return ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test("a descriptor without close-on-exec does not reach the child")
    func leakedDescriptorIsClosed() async throws {
        let fd = try leakyDescriptor()
        defer { close(fd) }
        #expect(try await openInChild([fd]) == ["\(fd)=closed"])
    }

    @Test("the descriptor passed on purpose arrives as 3, and nothing else does")
    func inheritedDescriptorOnly() async throws {
        let passed = try leakyDescriptor()
        let other = try leakyDescriptor()
        defer {
            close(passed)
            close(other)
        }
        #expect(try await openInChild([3, other], inherit: passed) == ["3=open", "\(other)=closed"])
    }

    @Test("stderr goes to a file of its own when asked")
    func separateStderr() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("err-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("out").path
        let err = directory.appendingPathComponent("err").path
        let child = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", "echo to-out; echo to-err >&2; exit 4"], environment: [:],
            outputPath: out, errorPath: err)
        #expect(await child.wait(upTo: .seconds(10)) == 4)
        #expect((try? String(contentsOfFile: out, encoding: .utf8)) == "to-out\n")
        #expect((try? String(contentsOfFile: err, encoding: .utf8)) == "to-err\n")
    }
}
