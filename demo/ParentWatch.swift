import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `--parent-fd`: drains as on SIGTERM once the launcher is gone.
///
/// The launcher (`drainctl demo`) holds the only write end of a pipe whose read end is `fd`. Nothing is
/// ever written; `read` returns end-of-file when the launcher's end closes, which the kernel does however
/// it exits, SIGKILL included. The signal goes through the pool's own signal handling, so the drain is
/// the one an operator would see.
enum ParentWatch {
    static func start(fd: Int32) {
        let thread = Thread {
            var byte: UInt8 = 0
            while true {
                let count = read(fd, &byte, 1)
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
            }
            close(fd)
            kill(getpid(), SIGTERM)
        }
        thread.name = "drain-demo-parent-watch"
        thread.stackSize = 64 << 10
        thread.start()
    }
}
