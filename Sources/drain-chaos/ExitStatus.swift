#if canImport(Glibc)
    import Glibc
#endif

/// How a child process ended, decoded from `waitpid`'s status.
enum ExitStatus: Sendable, Hashable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    init(waitStatus status: Int32) {
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift cannot import.
        let signal = status & 0x7F
        self = signal == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signal)
    }

    /// What the record calls it: drain-demo exits 0 after a clean drain and 3 after a forced one.
    var outcome: ChaosRecord.Outcome {
        switch self {
        case .exited(0): .clean
        case .exited(3): .forced
        case .signalled(SIGKILL): .killed
        default: .crashed
        }
    }

    var description: String {
        switch self {
        case .exited(let code): "exit \(code)"
        case .signalled(let signal): "signal \(signal)"
        }
    }
}
