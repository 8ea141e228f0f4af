import CNcurses
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Restores the terminal when the process crashes, then lets the crash go on as it would have.
///
/// Swift traps are SIGILL on x86-64. The handler leaves curses, replays the captured stderr, puts the
/// previous handler back (the Swift backtracer's, or the default) and returns: the faulting instruction
/// runs again and the previous handler reports it on a sane screen.
enum CrashGuard {
    static let signals: [Int32] = [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT]
    static let cursesActive = Atomic<Bool>(false)
    /// Written once in ``install()`` before any handler can run, then only read.
    nonisolated(unsafe) private static let previous: UnsafeMutablePointer<sigaction> = .allocate(capacity: 65)
    private static let installed = Atomic<Bool>(false)

    /// Installs the handlers once per process.
    static func install() {
        _ = cursesActive.load(ordering: .relaxed)
        guard !installed.exchange(true, ordering: .sequentiallyConsistent) else { return }
        for signo in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signo in CrashGuard.handle(signo) }
            sigemptyset(&action.sa_mask)
            // SA_ONSTACK: a stack overflow leaves no stack to run the handler on, except the alternate one.
            action.sa_flags = Int32(SA_ONSTACK)
            sigaction(signo, &action, previous + Int(signo))
        }
    }

    /// Gives the calling thread an alternate signal stack, so a stack overflow there still restores
    /// the terminal. The stack is kept for the life of the thread.
    static func installAlternateStack() {
        let size = 64 * 1024
        guard let memory = malloc(size) else { return }
        var stack = stack_t(ss_sp: memory, ss_flags: 0, ss_size: size)
        if sigaltstack(&stack, nil) != 0 { free(memory) }
    }

    private static func handle(_ signo: Int32) {
        if cursesActive.exchange(false, ordering: .sequentiallyConsistent) {
            drain_endwin()
            StderrCapture.finish()
        }
        sigaction(signo, previous + Int(signo), nil)
    }
}
