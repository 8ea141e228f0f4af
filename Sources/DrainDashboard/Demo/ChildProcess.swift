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
    /// - Throws: ``DashboardError`` `spawnFailed` with the system's reason.
    public init(executable: String, arguments: [String], environment: [String: String], outputPath: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        )
        posix_spawnattr_setpgroup(&attributes, 0)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signo in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGWINCH, SIGTSTP, SIGCHLD] {
            sigaddset(&defaults, signo)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw DashboardError(.spawnFailed, "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        self.pid = pid
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
