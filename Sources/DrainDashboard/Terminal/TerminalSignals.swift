import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// SIGINT, SIGTERM and SIGHUP while the dashboard runs: the handler only records the signal, and the
/// screen loop, which looks at least every frame, restores the terminal and exits.
///
/// - Important: Call ``install()`` before curses starts: ncurses installs its own handlers for these
///   signals only where the disposition is still the default, and its handlers would exit without
///   letting us print the summary.
package enum TerminalSignals {
    /// The last terminating signal received; 0 for none.
    static let received = Atomic<Int32>(0)

    /// The signals that end the dashboard.
    static let terminating: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Installs the handlers, ignores SIGPIPE and unblocks signals a parent may have left blocked.
    package static func install() {
        // A lazily initialised global is set up with swift_once, which is not safe inside a handler:
        // touch it here so the handler only ever does an atomic store.
        _ = received.load(ordering: .relaxed)
        // A control socket that dies mid-write must be an error, not the end of the process while the
        // screen is in curses mode.
        signal(SIGPIPE, SIG_IGN)
        for signo in terminating {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signo in TerminalSignals.received.store(signo, ordering: .relaxed)
            }
            sigemptyset(&action.sa_mask)
            // No SA_RESTART: a signal must cut the input wait short so the loop sees it at once.
            action.sa_flags = 0
            sigaction(signo, &action, nil)
        }
        unblockOnThisThread()
    }

    /// Unblocks INT, TERM, HUP, WINCH and TSTP on the calling thread.
    ///
    /// A process started by `Foundation.Process` (tmux, then us) can inherit a mask with these blocked;
    /// the mask is per thread, so the screen thread calls this too.
    package static func unblockOnThisThread() {
        var set = sigset_t()
        sigemptyset(&set)
        for signo in [SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGTSTP] { sigaddset(&set, signo) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// The signal that ended the dashboard, if one did.
    static var pending: Int32? {
        let signo = received.load(ordering: .relaxed)
        return signo == 0 ? nil : signo
    }
}
