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

    var runDirectory: RunDirectory { runDir.map(RunDirectory.init(path:)) ?? .resolve() }

    /// The one process this command talks to; exits 3 with the reason when there is none or several.
    /// - Parameter probe: false when the command connects at once anyway, so `--socket` costs one connection.
    func select(probe: Bool = true) throws -> ProcessEntry {
        do {
            return try ProcessSelector.select(socket: socket, runDirectory: runDirectory, probe: probe)
        } catch let error as ControlError {
            throw ExitCodes.from(error)
        }
    }
}
