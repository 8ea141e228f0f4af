import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The harness's side of the record: `process` and `exit` lines around each process it starts.
///
/// It appends to the same `O_APPEND` file as the demo, one `write(2)` per line, so its lines and the
/// demo's never interleave and the demo's lines of process n all fall between `process n` and `exit n`.
final class RecordWriter {
    let path: String
    private let fd: Int32

    /// - Throws: ``ChaosError`` `invalidInput` when the file cannot be opened.
    init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ChaosError(.invalidInput, "cannot open the record \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    func process(_ index: Int, _ role: ChaosRecord.Role) { append("process \(index) \(role.rawValue)\n") }

    func exit(_ index: Int, _ outcome: ChaosRecord.Outcome) { append("exit \(index) \(outcome.rawValue)\n") }

    private func append(_ line: String) {
        var line = line
        line.withUTF8 { bytes in _ = write(fd, bytes.baseAddress, bytes.count) }
    }
}
