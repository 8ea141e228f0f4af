import DrainProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// Starts a child the way drainctl's own tools do (`drainctl demo`, `drain-chaos`): stdin from /dev/null,
/// stdout and stderr appended to files, no other descriptor of ours, an empty signal mask and default
/// dispositions.
///
/// The signal reset matters: a child must not inherit an ignored SIGPIPE or a blocked SIGTERM from whoever
/// started us, or a test's SIGTERM would silently do nothing.
///
/// Closing every other descriptor matters as much. A descriptor without close-on-exec that another thread
/// holds at the moment of the spawn would live on in the child. A control connection held by a child never
/// reaches EOF. Foundation's `Process` learns that its child exited from EOF on a socket pair whose child
/// end is such a descriptor: a long-lived child of ours that caught it (a PostgreSQL server started by the
/// tests) made a finished drain-demo look alive for as long as the server ran.
package enum ChildSpawn {
    /// The number a descriptor passed with `inherit:` has in the child.
    package static let inheritedDescriptor: Int32 = 3

    /// - Parameters:
    ///   - newProcessGroup: Puts the child in a group of its own, so Ctrl-C in our terminal does not reach it.
    ///   - defaultSignals: The signals whose disposition is reset to the default.
    ///   - errorPath: Where stderr goes; nil sends it to `outputPath` with stdout.
    ///   - inherit: A descriptor of ours that the child gets as ``inheritedDescriptor`` (3).
    /// - Returns: The child's pid, or the `errno` of `posix_spawn`.
    package static func spawn(
        executable: String, arguments: [String], environment: [String: String], outputPath: String,
        errorPath: String? = nil, newProcessGroup: Bool, defaultSignals: [Int32], inherit: Int32? = nil
    ) -> Result<pid_t, Errno> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        if let errorPath {
            posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        // dup2 clears close-on-exec on the copy only: our own descriptor stays private to us.
        if let inherit { posix_spawn_file_actions_adddup2(&actions, inherit, inheritedDescriptor) }
        closeDescriptors(from: inherit == nil ? 3 : inheritedDescriptor + 1, in: &actions)

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

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later). Looked up at run time because
    /// the Glibc module does not import GNU extensions; nil on an older C library.
    private static let closeFrom: CloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: CloseFrom.self)
    }

    /// Closes every descriptor from `lowest` up in the child.
    ///
    /// Without `closefrom`, the descriptors open now are closed one by one: one opened by another thread
    /// between this list and the spawn would still leak, a window the C library's own action does not have.
    private static func closeDescriptors(from lowest: Int32, in actions: inout posix_spawn_file_actions_t) {
        if let closeFrom, closeFrom(&actions, lowest) == 0 { return }
        guard let directory = opendir("/proc/self/fd") else { return }
        defer { closedir(directory) }
        let own = dirfd(directory)
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let fd = Int32(name), fd >= lowest, fd != own { posix_spawn_file_actions_addclose(&actions, fd) }
        }
    }
}
