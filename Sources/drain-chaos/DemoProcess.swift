import DrainSpawn
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One `drain-demo` child: spawned, signalled and reaped by its pid.
///
/// The harness polls `waitpid` itself instead of using Foundation's `Process`: it needs the exact exit
/// status (a signal number versus an exit code) and must never reap a pid it has not finished
/// signalling, so that a pid cannot be reused under a late `kill`.
final class DemoProcess: Sendable {
    /// Children not yet reaped; killed by pid when the harness is interrupted.
    static let live = Mutex<Set<pid_t>>([])
    /// The `--name` every demo gets; its socket is `<run dir>/chaos.<pid>.sock`.
    static let serviceName = "chaos"

    let pid: pid_t
    let socketPath: String
    private let reaped = Mutex<ExitStatus?>(nil)

    /// Starts `executable` with stdin from /dev/null and stdout and stderr appended to `output`.
    /// - Throws: ``ChaosError`` `demoFailed` when `posix_spawn` fails.
    init(
        executable: String, arguments: [String], environment: [String: String], output: String, socketDirectory: String
    )
        throws
    {
        let spawned = Self.live.withLock { live in
            // Spawning under the lock: an interrupt between spawn and insert would leave the child unkilled.
            let spawned = ChildSpawn.spawn(
                executable: executable, arguments: arguments, environment: environment, outputPath: output,
                newProcessGroup: false, defaultSignals: [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE]
            )
            if case .success(let pid) = spawned { live.insert(pid) }
            return spawned
        }
        switch spawned {
        case .success(let pid): self.pid = pid
        case .failure(let error): throw ChaosError(.demoFailed, "cannot start \(executable): \(error.description)")
        }
        self.socketPath = "\(socketDirectory)/\(Self.serviceName).\(pid).sock"
    }

    /// Sends `signal` unless the child has been reaped (its pid may belong to someone else by then).
    func signal(_ signal: Int32) {
        reaped.withLock { status in
            if status == nil { kill(pid, signal) }
        }
    }

    /// The exit status if the child has ended, reaping it; nil while it runs.
    func poll() -> ExitStatus? {
        reaped.withLock { reaped in
            if let reaped { return reaped }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
            let exit = ExitStatus(waitStatus: status)
            reaped = exit
            _ = Self.live.withLock { $0.remove(pid) }
            return exit
        }
    }

    /// Waits for the exit; after `timeout` kills the child with SIGKILL and reports that it had to.
    func wait(timeout: Duration) async -> (status: ExitStatus, timedOut: Bool) {
        let deadline = ContinuousClock.now + timeout
        var timedOut = false
        while true {
            if let status = poll() { return (status, timedOut) }
            if !timedOut, ContinuousClock.now > deadline {
                timedOut = true
                signal(SIGKILL)
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Waits until the control socket exists, which means the demo's signal handlers are installed.
    /// - Throws: ``ChaosError`` `demoFailed` when the child exits first, `timedOut` after `timeout`.
    func waitForSocket(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while access(socketPath, F_OK) != 0 {
            if let status = poll() {
                throw ChaosError(
                    .demoFailed, "drain-demo (pid \(pid)) ended (\(status)) before opening its control socket")
            }
            if ContinuousClock.now > deadline {
                throw ChaosError(.timedOut, "drain-demo (pid \(pid)) did not open \(socketPath) within \(timeout)")
            }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Kills every child not yet reaped, by pid, and reaps it.
    static func killAll() {
        let pids = live.withLock { live in
            let pids = live
            live = []
            return pids
        }
        for pid in pids {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }
}
