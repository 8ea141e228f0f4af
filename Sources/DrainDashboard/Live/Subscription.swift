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

/// One `subscribe` connection in protocol v3, read by a thread of its own with blocking system calls.
///
/// Version 2 pushes every event once, on its own line, and leaves `recent_events` out of every snapshot
/// after the first (docs/PROTOCOL.md, "Version 2"); the screen keeps the event log from the event lines
/// plus the first snapshot's history. Version 3 also writes the listed jobs as rows, so `JSONDecoder`
/// reads a pushed snapshot cheaply. A server that speaks an older version refuses the `subscribe` with
/// `unsupported_version`; the subscription then asks again one version lower, down to version 1, whose
/// snapshots repeat recent events, which the screens already drop by sequence number.
///
/// Not ``DrainClient/ControlClient``: that one waits for replies. This reader sleeps in `read` between
/// lines on one thread of its own and hands each line to the ``WireDecoder`` (DrainProtocol's types).
/// Commands (shutdown, extend) use `ControlClient` on short connections.
final class Subscription: Sendable {
    /// The socket, nil once closed; guarded so ``cancel()`` never shuts down a descriptor reused since.
    private let socket = Mutex<Int32?>(nil)
    private let cancelled = Atomic<Bool>(false)

    /// The longest line accepted, as `ControlClient` does: a peer that never sends a newline must not
    /// make `top` grow without end.
    static let maxLineBytes = 16 * 1024 * 1024

    /// Connects to `entry` and forwards what it sends to `inbox`, tagged with `session`, until the
    /// connection ends for good or ``cancel()`` is called.
    ///
    /// A connection that ends before the process reported that it stopped is not the end while the
    /// process still answers on its socket: the subscription connects again (see ``reconnects(after:)``),
    /// and the screen never hears of it. Only a process that no longer answers, or one that keeps
    /// refusing, is reported as gone.
    /// - Parameter ended: Called once when the subscription ended on its own (not when cancelled).
    init(
        _ entry: ProcessEntry, session: Int, interval: Duration, inbox: Inbox,
        ended: @escaping @Sendable () -> Void
    ) {
        let milliseconds = Int(interval / .milliseconds(1))
        DetachedThread.start(name: "drainctl-feed") { [self] in
            var attempt = 0
            var end: End
            var announce: String?
            while true {
                let outcome = self.follow(
                    entry, session: session, intervalMs: milliseconds, inbox: inbox, announce: announce)
                self.close()
                end = outcome.end
                if outcome.subscribed || announce == nil {
                    announce = "reconnected to \(entry.name) (pid \(entry.pid)) after: \(end.reason)"
                }
                if self.cancelled.load(ordering: .sequentiallyConsistent) { return }
                // A connection that carried the subscription starts the count again.
                attempt = outcome.subscribed ? 1 : attempt + 1
                guard
                    Self.reconnects(after: outcome, attempt: attempt) && self.pause(Self.backoff(attempt))
                        && SocketProbe.probe(path: entry.path) == .live
                else { break }
            }
            ended()
            switch end {
            case .violation(let message):
                inbox.push(.violation(session: session, message: message))
            case .ended(let message):
                inbox.push(.ended(session: session, error: message))
            case .refused(let message):
                inbox.push(.ended(session: session, error: message))
            }
        }
    }

    /// Connections in a row that may end without carrying the subscription before the process counts
    /// as gone.
    static let maxAttempts = 5

    /// How one connection ended, and how far it got.
    struct Outcome {
        var end: End
        /// The server answered the subscribe: the subscription was live on this connection.
        var subscribed: Bool
        /// The process reported that it stopped (its `stopped` event or a snapshot with its report): the
        /// close after that is the end, not a loss.
        var stopped: Bool
    }

    /// Whether to connect again (to a process that still answers) after `outcome`, the `attempt`th
    /// connection in a row.
    ///
    /// A closed or reset connection, or a server that ended a live subscription on purpose (its last
    /// line says why: `top` was suspended and fell behind, say), is worth another; a refusal of the
    /// very first subscribe (`too_many_clients`, `forbidden`) or bytes that are not the protocol are not.
    static func reconnects(after outcome: Outcome, attempt: Int) -> Bool {
        guard !outcome.stopped, attempt <= maxAttempts else { return false }
        switch outcome.end {
        case .ended: return true
        case .refused: return outcome.subscribed
        case .violation: return false
        }
    }

    /// The pause before the `attempt`th connection in a row: 100 ms, then longer, so a process that
    /// keeps closing is not hammered.
    static func backoff(_ attempt: Int) -> Duration { .milliseconds(100 * max(1, attempt - 1)) }

    /// Sleeps on this thread; false when cancelled meanwhile.
    private func pause(_ duration: Duration) -> Bool {
        let deadline = ContinuousClock.now + duration
        while ContinuousClock.now < deadline {
            if cancelled.load(ordering: .sequentiallyConsistent) { return false }
            usleep(10_000)
        }
        return !cancelled.load(ordering: .sequentiallyConsistent)
    }

    /// Stops forwarding and closes the connection; the reading thread ends on its own.
    func cancel() {
        cancelled.store(true, ordering: .sequentiallyConsistent)
        socket.withLock { fd in
            if let fd { _ = shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    enum End {
        /// The connection ended: nil when the server closed it cleanly.
        case ended(String?)
        /// The server answered with an error line (`code: message`), usually the last before it closed.
        case refused(String)
        /// The peer does not speak the protocol.
        case violation(String)

        var reason: String {
            switch self {
            case .ended(let message): message ?? "the connection closed"
            case .refused(let message), .violation(let message): message
            }
        }
    }

    /// The `subscribe` line in `version`: DrainProtocol's request, in the one JSON dialect.
    static func request(intervalMs: Int, version: Int) throws -> [UInt8] {
        let request = ControlRequest(op: .subscribe, id: 1, intervalMs: intervalMs, version: version)
        return Array(try JSONEncoder.drain.encode(request)) + [UInt8(ascii: "\n")]
    }

    /// One connection: subscribes and forwards its lines until it ends.
    /// - Parameter announce: On a reconnection, the notice the screen shows once the server answers.
    private func follow(
        _ entry: ProcessEntry, session: Int, intervalMs: Int, inbox: Inbox, announce: String?
    ) -> Outcome {
        var subscribed = false
        var stopped = false
        func outcome(_ end: End) -> Outcome { Outcome(end: end, subscribed: subscribed, stopped: stopped) }
        let fd: Int32
        switch UnixSocket.connect(entry.path) {
        case .success(let connected): fd = connected
        case .failure(let error): return outcome(.ended("cannot connect to \(entry.path): \(error.description)"))
        }
        socket.withLock { $0 = fd }
        guard !cancelled.load(ordering: .sequentiallyConsistent) else { return outcome(.ended(nil)) }
        func subscribe(_ version: Int) -> End? {
            guard let line = try? Self.request(intervalMs: intervalMs, version: version),
                case .success = UnixSocket.writeAll(fd, line)
            else { return .ended("the connection to \(entry.path) was lost while sending") }
            return nil
        }
        var version = ControlProtocol.latestVersion
        if let failed = subscribe(version) { return outcome(failed) }
        var answered = false
        var decoder = WireDecoder()
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = read(fd, &chunk, chunk.count)
            if count < 0, errno == EINTR { continue }
            if count < 0 {
                return outcome(
                    .ended("the connection to \(entry.path) was lost: \(String(cString: strerror(errno)))"))
            }
            if count == 0 { return outcome(.ended(nil)) }
            buffer.append(contentsOf: chunk[0..<count])
            var start = 0
            while let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Data(buffer[start..<newline])
                start = newline + 1
                guard !line.isEmpty else { continue }
                do {
                    let decoded = try decoder.decode(line)
                    // The first reply says whether the server speaks this version; one that does not
                    // gets the same subscription one version lower.
                    if !answered, case .message(let message) = decoded {
                        answered = message.type == .result || message.type == .error
                        if message.error?.code == WireErrorCode.unsupportedVersion.rawValue,
                            version > ControlProtocol.version
                        {
                            answered = false
                            version -= 1
                            if let failed = subscribe(version) { return outcome(failed) }
                            continue
                        }
                        subscribed = message.type == .result
                        if subscribed, let announce { inbox.push(.commandResult(announce, ok: true)) }
                    }
                    if let update = try Self.update(for: decoded, session: session) {
                        if cancelled.load(ordering: .relaxed) { return outcome(.ended(nil)) }
                        stopped = stopped || Self.reportsStop(update)
                        inbox.push(update)
                    }
                } catch let error as ControlError where error.code == .refused {
                    return outcome(.refused(error.message))
                } catch let error as ControlError {
                    return outcome(.violation("\(entry.path): \(error.message)"))
                } catch {
                    return outcome(.violation("\(entry.path): \(error)"))
                }
            }
            buffer.removeFirst(start)
            if buffer.count > Self.maxLineBytes {
                return outcome(.violation("\(entry.path): it sent a line longer than \(Self.maxLineBytes) bytes"))
            }
        }
    }

    /// Whether `update` is the process reporting that it stopped.
    static func reportsStop(_ update: FeedUpdate) -> Bool {
        switch update {
        case .event(let event, _): event.kind == .stopped
        case .snapshot(let snapshot, _): snapshot.report != nil
        default: false
        }
    }

    /// What the screen hears of one line; nil for lines it does not show.
    /// - Throws: ``DrainClient/ControlError`` `refused` for an error reply.
    static func update(for line: WireDecoder.Line, session: Int) throws -> FeedUpdate? {
        switch line {
        case .snapshot(let snapshot):
            return .snapshot(snapshot, session: session)
        case .message(let message):
            switch message {
            case .hello, .status, .subscribed: return .connected(session: session)
            case .error(_, let body): throw ControlError(.refused, "\(body.code): \(body.message)")
            case .snapshot(let snapshot): return .snapshot(snapshot, session: session)
            case .event(let event): return .event(event, session: session)
            // `top` never asks for the drain history.
            case .history: return nil
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
