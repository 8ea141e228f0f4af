import ArgumentParser
import DrainControl
import Foundation

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
        FileHandle.standardError.write(Data("drainctl: \(message)\n".utf8))
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
/// Uses write(2): `FileHandle.write` traps when the terminal has gone away (after SIGHUP).
func emit(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { bytes in _ = write(STDOUT_FILENO, bytes.baseAddress, bytes.count) }
}
