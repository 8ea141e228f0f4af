import DrainClient
import DrainProtocol
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// One `subscribe` connection, read by a thread of its own with blocking system calls.
///
/// Not ``DrainClient/ControlClient``: that one decodes every line in full with `JSONDecoder`. This reader
/// sleeps in `read` between lines on one thread of its own and lets the lines go through the cheap
/// ``WireDecoder``, which picks out only what the screen draws (top's CPU at 10 Hz with 10,000 jobs in
/// flight: BENCHMARKS.md). Commands (shutdown, extend) use `ControlClient` on short connections.
final class Subscription: Sendable {
    /// The socket, nil once closed; guarded so ``cancel()`` never shuts down a descriptor reused since.
    private let socket = Mutex<Int32?>(nil)
    private let cancelled = Atomic<Bool>(false)

    /// The longest line accepted, as `ControlClient` does: a peer that never sends a newline must not
    /// make `top` grow without end.
    static let maxLineBytes = 16 * 1024 * 1024

    /// Connects to `entry` and forwards what it sends to `inbox`, tagged with `session`, until the
    /// connection ends or ``cancel()`` is called.
    /// - Parameter ended: Called once when the connection ended on its own (not when cancelled).
    init(
        _ entry: ProcessEntry, session: Int, interval: Duration, inbox: Inbox,
        ended: @escaping @Sendable () -> Void
    ) {
        let milliseconds = Int(interval / .milliseconds(1))
        DetachedThread.start(name: "drainctl-feed") { [self] in
            let error = self.follow(entry, session: session, intervalMs: milliseconds, inbox: inbox)
            self.close()
            guard !self.cancelled.load(ordering: .sequentiallyConsistent) else { return }
            ended()
            switch error {
            case .violation(let message):
                inbox.push(.violation(session: session, message: "\(entry.path): \(message)"))
            case .ended(let message):
                inbox.push(.ended(session: session, error: message))
            }
        }
    }

    /// Stops forwarding and closes the connection; the reading thread ends on its own.
    func cancel() {
        cancelled.store(true, ordering: .sequentiallyConsistent)
        socket.withLock { fd in
            if let fd { _ = shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    private enum End {
        /// The connection ended: nil when the server closed it cleanly.
        case ended(String?)
        /// The peer does not speak the protocol.
        case violation(String)
    }

    private func follow(_ entry: ProcessEntry, session: Int, intervalMs: Int, inbox: Inbox) -> End {
        let fd: Int32
        switch UnixSocket.connect(entry.path) {
        case .success(let connected): fd = connected
        case .failure(let error): return .ended("cannot connect to \(entry.path): \(error.description)")
        }
        socket.withLock { $0 = fd }
        guard !cancelled.load(ordering: .sequentiallyConsistent) else { return .ended(nil) }
        let request = "{\"v\":\(ControlProtocol.version),\"id\":1,\"op\":\"subscribe\",\"interval_ms\":\(intervalMs)}\n"
        var bytes = Array(request.utf8)
        guard send(fd, &bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else {
            return .ended("the connection to \(entry.path) was lost while sending")
        }
        var decoder = WireDecoder()
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = read(fd, &chunk, chunk.count)
            if count < 0, errno == EINTR { continue }
            if count < 0 {
                return .ended("the connection to \(entry.path) was lost: \(String(cString: strerror(errno)))")
            }
            if count == 0 { return .ended(nil) }
            buffer.append(contentsOf: chunk[0..<count])
            var start = 0
            while let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Data(buffer[start..<newline])
                start = newline + 1
                guard !line.isEmpty else { continue }
                do {
                    if let update = try Self.update(for: decoder.decode(line), session: session) {
                        if cancelled.load(ordering: .relaxed) { return .ended(nil) }
                        inbox.push(update)
                    }
                } catch let error as ControlError where error.code == .refused {
                    return .ended(error.message)
                } catch let error as ControlError {
                    return .violation(error.message)
                } catch {
                    return .violation("\(error)")
                }
            }
            buffer.removeFirst(start)
            if buffer.count > Self.maxLineBytes {
                return .violation("it sent a line longer than \(Self.maxLineBytes) bytes")
            }
        }
    }

    /// What the screen hears of one line; nil for lines it does not show.
    /// - Throws: ``DrainControl/ControlError`` `refused` for an error reply.
    static func update(for line: WireDecoder.Line, session: Int) throws -> FeedUpdate? {
        switch line {
        case .snapshot(let snapshot):
            return .snapshot(snapshot, session: session)
        case .message(let message):
            switch message.type {
            case .result: return .connected(session: session)
            case .error:
                let body = message.error.map { "\($0.code): \($0.message)" } ?? "an error without a body"
                throw ControlError(.refused, body)
            case .snapshot: return message.snapshot.map { .snapshot($0, session: session) }
            case .event: return message.event.map { .event($0, session: session) }
            }
        }
    }

    private func close() {
        socket.withLock { fd in
            if let open = fd { _ = Glibc.close(open) }
            fd = nil
        }
    }
}
