import ArgumentParser
import DrainClient
import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// The documented exit codes, and the one a ``ControlError`` ends a command with.
enum ExitCodes {
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

}

/// Runs `body`, turning a ``ControlError`` into its exit code.
func reportingFailures<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as ControlError {
        throw ExitCodes.from(error)
    }
}
