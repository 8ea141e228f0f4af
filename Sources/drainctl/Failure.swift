import ArgumentParser
import DrainClient

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// The documented exit codes, and printing an error the way every command does.
enum Failure {
    static let forced: Int32 = 1
    static let connectionLost: Int32 = 2
    static let noProcess: Int32 = 3
    static let refused: Int32 = 4

    /// Prints `drainctl: <message>` to stderr and returns the exit code for the error.
    static func from(_ error: ControlError) -> ExitCode {
        printError(error.message)
        switch error.code {
        case .notFound, .ambiguous, .unsafeRunDirectory, .pathTooLong: return ExitCode(noProcess)
        case .refused: return ExitCode(refused)
        default: return ExitCode(connectionLost)
        }
    }

    static func printError(_ message: String) {
        write(to: STDERR_FILENO, "drainctl: \(message)\n")
    }
}

/// Runs `body`, turning a ``ControlError`` into its exit code.
func reportingFailures<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as ControlError {
        throw Failure.from(error)
    }
}

/// Prints one line to stdout, flushed, so pipes see events as they happen.
func emit(_ line: String) { write(to: STDOUT_FILENO, line + "\n") }

/// Writes `text` with write(2), unbuffered: a terminal that has gone away (after SIGHUP) makes it fail
/// quietly rather than trap.
func write(to fd: Int32, _ text: String) {
    var text = text
    text.withUTF8 { bytes in _ = Glibc.write(fd, bytes.baseAddress, bytes.count) }
}
