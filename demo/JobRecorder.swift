import Drain
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An append-only record kept by the job handler itself, independent of the journal.
///
/// Chaos tests (`drain-chaos`) compare it with what was submitted.
/// Lines: `accepted <id>` (written by the producer once `submit` returned, so the job is durable),
/// `start <id> <attempt>`, `done <id>`, `failed <id>`. Each is one `write(2)` to an `O_APPEND` file,
/// so lines from concurrent jobs never interleave and survive a SIGKILL of the process.
final class JobRecorder: Sendable {
    private let fd: Int32

    init(path: String) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw DrainError(
                .invalidArgument, "cannot open the record file \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    /// The journal has the job: `submit` returned its id.
    func accepted(_ id: JobID) { append("accepted \(id)\n") }

    func started(_ job: Job) { append("start \(job.id) \(job.attempt)\n") }

    func finished(_ job: Job) { append("done \(job.id)\n") }

    func failed(_ job: Job) { append("failed \(job.id)\n") }

    private func append(_ line: String) {
        var line = line
        line.withUTF8 { bytes in _ = write(fd, bytes.baseAddress, bytes.count) }
    }
}
