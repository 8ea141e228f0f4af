import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Keeps stderr in a file while curses owns the screen, and replays it once the screen is back.
///
/// Anything written to stderr during curses mode (a `fatalError` message, a library's warning) would be
/// drawn into the alternate screen and wiped. ``finish()`` uses only system calls, so the crash handler
/// can call it too.
enum StderrCapture {
    private static let savedStderr = Atomic<Int32>(-1)
    private static let capture = Atomic<Int32>(-1)

    /// Sends stderr to an unlinked temporary file.
    static func begin() {
        _ = savedStderr.load(ordering: .relaxed)
        _ = capture.load(ordering: .relaxed)
        var template = Array("/tmp/drainctl-top-stderr.XXXXXX".utf8CString)
        let file = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard file >= 0 else { return }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        let saved = dup(STDERR_FILENO)
        guard saved >= 0, dup2(file, STDERR_FILENO) >= 0 else {
            close(file)
            if saved >= 0 { close(saved) }
            return
        }
        capture.store(file, ordering: .sequentiallyConsistent)
        savedStderr.store(saved, ordering: .sequentiallyConsistent)
    }

    /// Puts stderr back and writes out what was captured; does nothing the second time.
    static func finish() {
        let saved = savedStderr.exchange(-1, ordering: .sequentiallyConsistent)
        let file = capture.exchange(-1, ordering: .sequentiallyConsistent)
        if saved >= 0 {
            dup2(saved, STDERR_FILENO)
            close(saved)
        }
        guard file >= 0 else { return }
        lseek(file, 0, SEEK_SET)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1024) { buffer in
            while true {
                let count = read(file, buffer.baseAddress, buffer.count)
                if count <= 0 { break }
                _ = write(STDERR_FILENO, buffer.baseAddress, count)
            }
        }
        close(file)
    }
}
