#if canImport(Glibc)
    import Glibc
#endif

/// Prints `drainctl: <message>` to stderr, the way every command reports an error.
func printError(_ message: String) { write(to: STDERR_FILENO, "drainctl: \(message)\n") }

/// Prints one line to stdout, flushed, so pipes see events as they happen.
func emit(_ line: String) { write(to: STDOUT_FILENO, line + "\n") }

/// Writes `text` with write(2), unbuffered: a terminal that has gone away (after SIGHUP) makes it fail
/// quietly rather than trap.
func write(to fd: Int32, _ text: String) {
    var text = text
    text.withUTF8 { bytes in _ = Glibc.write(fd, bytes.baseAddress, bytes.count) }
}
