import ArgumentParser
import DrainClient
import DrainProtocol

/// `--socket` and `--run-dir`, shared by every command that talks to a process.
struct TargetOptions: ParsableArguments {
    @Option(help: "The control socket of one process (see `drainctl ls`).")
    var socket: String?

    @Option(
        help:
            "The run directory to look in (default: $DRAINCTL_RUN_DIR, $XDG_RUNTIME_DIR/drainctl or /tmp/drainctl-<uid>)."
    )
    var runDir: String?

    var runDirectory: RunDirectory { Self.runDirectory(runDir) }

    /// The one process this command talks to; exits 3 with the reason when there is none or several.
    /// - Parameter probe: false when the command connects at once anyway, so `--socket` costs one connection.
    func select(probe: Bool = true) throws -> ProcessEntry {
        try Self.select(socket: socket, runDir: runDir, probe: probe)
    }

    /// `--run-dir`, or the default run directory when it is not given.
    static func runDirectory(_ runDir: String?) -> RunDirectory {
        runDir.map(RunDirectory.init(path:)) ?? .resolve()
    }

    /// ``select(probe:)`` from the options' values, for ``QuickStatus``, which reads them without
    /// ArgumentParser.
    static func select(socket: String?, runDir: String?, probe: Bool) throws -> ProcessEntry {
        do {
            return try ProcessSelector.select(socket: socket, runDirectory: runDirectory(runDir), probe: probe)
        } catch let error as ControlError {
            throw ExitCodes.from(error)
        }
    }
}
