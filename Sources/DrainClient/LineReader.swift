import DrainProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// Splits what a blocking socket delivers into lines, without copying a line more than once.
///
/// A final line without its newline is a line too, as the server treats it. A line longer than
/// ``maxLineBytes`` ends the reading: a peer that never sends a newline must not make a client grow
/// without end.
package struct LineReader {
    /// Why reading stopped short of a line.
    package enum Failure: Error, Equatable {
        /// `read` failed; the `errno`.
        case system(Errno)
        /// No line arrived in time.
        case timedOut
        /// The peer sent more than ``LineReader/maxLineBytes`` without a newline.
        case lineTooLong
    }

    package let fd: Int32
    package let maxLineBytes: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var ended = false

    package init(fd: Int32, maxLineBytes: Int = 16 * 1024 * 1024) {
        self.fd = fd
        self.maxLineBytes = maxLineBytes
    }

    /// The next line, newline (and a `\r` before it) removed; nil at the end of the stream.
    /// - Parameter deadline: When to give up waiting, on the `CLOCK_MONOTONIC` clock in nanoseconds; nil
    ///   waits as long as it takes.
    package mutating func next(deadline: UInt64? = nil) throws(Failure) -> ArraySlice<UInt8>? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var end = newline
                if end > start, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = buffer[start..<end]
                start = newline + 1
                return line
            }
            if ended {
                guard start < buffer.count else { return nil }
                let line = buffer[start...]
                start = buffer.count
                return line
            }
            if buffer.count - start > maxLineBytes { throw .lineTooLong }
            try fill(deadline: deadline)
        }
    }

    private mutating func fill(deadline: UInt64?) throws(Failure) {
        // Compact only when the consumed part dominates, so a burst of short lines is not shifted per line.
        if start > 0, start >= buffer.count - start {
            buffer.removeFirst(start)
            start = 0
        }
        if let deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            while true {
                let now = Monotonic.nanoseconds
                guard now < deadline else { throw .timedOut }
                let millis = Int32(min(UInt64(Int32.max), (deadline - now + 999_999) / 1_000_000))
                let ready = poll(&poller, 1, millis)
                if ready > 0 { break }
                if ready < 0, errno != EINTR { throw .system(Errno(errno)) }
            }
        }
        // Read into scratch memory and append only what came: growing the buffer by a chunk of zeros first
        // went through the generic `append(contentsOf:)` a byte at a time, which was most of a client's
        // CPU in a debug build.
        let (count, failure) = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64 * 1024) { scratch in
            var count = 0
            repeat {
                count = read(fd, scratch.baseAddress!, scratch.count)
            } while count < 0 && errno == EINTR
            if count > 0 { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[..<count])) }
            return (count, count < 0 ? errno : 0)
        }
        if count < 0 { throw .system(Errno(failure)) }
        if count == 0 { ended = true }
    }
}

/// A monotonic clock in nanoseconds, for deadlines that a changed wall clock must not move.
package enum Monotonic {
    package static var nanoseconds: UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// `duration` from now, as a deadline for ``LineReader/next(deadline:)``.
    package static func deadline(after duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return nanoseconds + UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}
