import DrainClient

#if canImport(Glibc)
    import Glibc
#endif

/// Starts a child the way drainctl's own tools do (`drainctl demo`, `drain-chaos`): stdin from /dev/null,
/// stdout and stderr appended to a file, an empty signal mask and default dispositions.
///
/// The reset matters: a child must not inherit an ignored SIGPIPE or a blocked SIGTERM from whoever
/// started us, or a test's SIGTERM would silently do nothing.
package enum ChildSpawn {
    /// The number a descriptor passed with `inherit:` has in the child.
    package static let inheritedDescriptor: Int32 = 3

    /// - Parameters:
    ///   - newProcessGroup: Puts the child in a group of its own, so Ctrl-C in our terminal does not reach it.
    ///   - defaultSignals: The signals whose disposition is reset to the default.
    ///   - inherit: A descriptor of ours that the child gets as ``inheritedDescriptor`` (3).
    /// - Returns: The child's pid, or the `errno` of `posix_spawn`.
    package static func spawn(
        executable: String, arguments: [String], environment: [String: String], outputPath: String,
        newProcessGroup: Bool, defaultSignals: [Int32], inherit: Int32? = nil
    ) -> Result<pid_t, Errno> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // dup2 clears close-on-exec on the copy only: our own descriptor stays private to us.
        if let inherit { posix_spawn_file_actions_adddup2(&actions, inherit, inheritedDescriptor) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if newProcessGroup {
            flags |= POSIX_SPAWN_SETPGROUP
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signo in defaultSignals { sigaddset(&defaults, signo) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        return result == 0 ? .success(pid) : .failure(Errno(result))
    }
}
