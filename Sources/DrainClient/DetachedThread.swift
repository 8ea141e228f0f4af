#if canImport(Glibc)
    import Glibc
#endif

/// A detached POSIX thread for blocking work (a socket reader, `top`'s screen loop), without
/// Foundation's `Thread`, which is not in FoundationEssentials.
///
/// Blocking calls must not run on the concurrency pool: on a two-core machine it has two threads, and
/// one reader parked in `read` would halve it.
package enum DetachedThread {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts `body` on a new detached thread.
    /// - Parameters:
    ///   - name: Shown by `top -H` and debuggers; at most 15 bytes are kept.
    ///   - stackSize: Small by default: readers only decode lines.
    /// - Returns: false when the system refused to create the thread.
    @discardableResult
    package static func start(
        name: String, stackSize: Int = 512 << 10, _ body: @escaping @Sendable () -> Void
    ) -> Bool {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        pthread_attr_setstacksize(&attributes, stackSize)
        let box = Unmanaged.passRetained(
            Box {
                setName(name)
                body()
            }
        ).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread, &attributes,
            { raw in
                let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
                box.body()
                return nil
            }, box)
        if result != 0 { Unmanaged<Box>.fromOpaque(box).release() }
        return result == 0
    }

    /// `pthread_setname_np` needs `_GNU_SOURCE`, which Swift's Glibc module does not define; the kernel
    /// takes the same name through procfs.
    private static func setName(_ name: String) {
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }
}
