import DrainProtocol
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A child process started with `posix_spawn`, in a process group of its own.
///
/// Its own group keeps Ctrl-C in the terminal from reaching it: the parent decides how it stops.
/// Signal dispositions and the mask are reset, so it does not inherit an ignored SIGPIPE or a blocked
/// SIGTERM from us or from whoever started us.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    private let status = Mutex<Int32?>(nil)

    /// Starts `executable` with stdin from /dev/null and stdout and stderr appended to `outputPath`.
    /// - Parameters:
    ///   - errorPath: A file of its own for stderr; nil appends stderr to `outputPath` too.
    ///   - inherit: A descriptor the child gets as descriptor 3 (see ``DemoService``'s parent pipe).
    /// - Throws: ``SpawnError`` `spawnFailed` with the system's reason.
    public init(
        executable: String, arguments: [String], environment: [String: String], outputPath: String,
        errorPath: String? = nil, inherit: Int32? = nil
    ) throws(SpawnError) {
        switch ChildSpawn.spawn(
            executable: executable, arguments: arguments, environment: environment, outputPath: outputPath,
            errorPath: errorPath, newProcessGroup: true,
            defaultSignals: [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGWINCH, SIGTSTP, SIGCHLD], inherit: inherit
        ) {
        case .success(let pid): self.pid = pid
        case .failure(let error):
            throw SpawnError(.spawnFailed, "cannot start \(executable): \(error.description)")
        }
    }

    /// The exit code (128 + the signal when killed), or nil while it runs. Reaps it once it ended.
    public var exitCode: Int32? {
        status.withLock { status in
            if let status { return status }
            var raw: Int32 = 0
            guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
            // WIFEXITED and friends are macros Swift does not import.
            let signal = raw & 0x7f
            status = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
            return status
        }
    }

    public func signal(_ signo: Int32) {
        if exitCode == nil { kill(pid, signo) }
    }

    /// Waits up to `limit` for the exit; the exit code, or nil if it still runs.
    public func wait(upTo limit: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let code = exitCode { return code }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return exitCode
    }

    /// Stops it: SIGTERM (a drain), a second SIGTERM after `patience` (forced), SIGKILL if it still hangs.
    /// - Returns: The exit code.
    @discardableResult
    public func stop(patience: Duration = .seconds(2), forceWindow: Duration = .seconds(5)) async -> Int32 {
        signal(SIGTERM)
        if let code = await wait(upTo: patience) { return code }
        signal(SIGTERM)
        if let code = await wait(upTo: forceWindow) { return code }
        signal(SIGKILL)
        return await wait(upTo: .seconds(5)) ?? 128 + SIGKILL
    }

    deinit {
        if exitCode == nil {
            kill(pid, SIGKILL)
            var raw: Int32 = 0
            waitpid(pid, &raw, 0)
        }
    }
}
