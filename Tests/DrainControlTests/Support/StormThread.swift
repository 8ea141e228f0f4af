import DrainClient
import DrainProtocol
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A storm of control clients on one thread of its own with plain sockets and `poll`, as a storm from
/// other processes would be: it takes nothing from this process's cooperative threads, which the pool
/// under test needs for its drain. (A thousand test clients as tasks starved the pool and the test itself,
/// and their delays were counted against the server.)
///
/// Client `i` is, by `i % 3`: a `status` request, a subscriber (50 ms) that never reads and holds its
/// connection until ``release()``, or a connection that sends nothing and waits for a line.
final class StormThread: Sendable {
    enum Outcome: Sendable, Hashable {
        case snapshot
        case tooManyClients
        case closedIdle
        case serverStopping
        case closedWithoutALine
        /// Reset by the server (ECONNRESET) at this instant.
        case reset(at: ContinuousClock.Instant)
        case other(String)
    }

    private let released = Atomic<Bool>(false)
    private let results: AsyncStream<[Outcome]>
    private let continuation: AsyncStream<[Outcome]>.Continuation

    private let ready: AsyncStream<Void>
    private let readyContinuation: AsyncStream<Void>.Continuation

    /// Starts the thread, which connects all `count` clients (``connected()`` tells when), then serves them.
    init(path: String, count: Int) {
        (results, continuation) = AsyncStream.makeStream()
        (ready, readyContinuation) = AsyncStream.makeStream()
        let (continuation, readyContinuation) = (self.continuation, self.readyContinuation)
        DetachedThread.start(name: "test-storm") { [self] in
            var clients: [(fd: Int32, kind: Int)] = []
            var outcomes: [Outcome] = []
            for index in 0..<count {
                guard case .success(let fd) = UnixSocket.connect(path) else {
                    outcomes.append(.other("connect failed: \(String(cString: strerror(errno)))"))
                    continue
                }
                let request: String? =
                    switch index % 3 {
                    case 0: "{\"op\":\"status\",\"id\":\(index)}\n"
                    case 1: "{\"op\":\"subscribe\",\"interval_ms\":50}\n"
                    default: nil
                    }
                if let request, case .failure(let error) = UnixSocket.writeAll(fd, Array(request.utf8)) {
                    outcomes.append(.other("write failed: \(error)"))
                    close(fd)
                    continue
                }
                clients.append((fd, index % 3))
            }
            readyContinuation.finish()
            continuation.yield(outcomes + serve(clients))
            continuation.finish()
        }
    }

    /// Returns once every client has connected (and sent its request).
    func connected() async {
        for await _ in ready {}
    }

    /// Lets the stalled subscribers go (their connections close).
    func release() { released.store(true, ordering: .sequentiallyConsistent) }

    /// Every client's outcome (the stalled subscribers have none), once all have ended.
    func outcomes() async -> [Outcome] {
        for await outcomes in results { return outcomes }
        return []
    }

    /// Reads each reader's first line (its outcome), then closes it; holds the stalled ones until released.
    private func serve(_ clients: [(fd: Int32, kind: Int)]) -> [Outcome] {
        var outcomes: [Outcome] = []
        var readers = clients.filter { $0.kind != 1 }.map(\.fd)
        let stalled = clients.filter { $0.kind == 1 }.map(\.fd)
        var buffers: [Int32: [UInt8]] = [:]
        while !readers.isEmpty {
            var polls = readers.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&polls, nfds_t(polls.count), 100) > 0 else { continue }
            var finished: Set<Int32> = []
            for entry in polls where entry.revents != 0 {
                var chunk = [UInt8](repeating: 0, count: 64 << 10)
                let count = read(entry.fd, &chunk, chunk.count)
                if count < 0, errno == EINTR || errno == EAGAIN { continue }
                if count <= 0 {
                    let reset = count < 0 && errno == ECONNRESET
                    outcomes.append(
                        count == 0
                            ? .closedWithoutALine
                            : reset ? .reset(at: .now) : .other("read: \(String(cString: strerror(errno)))"))
                    finished.insert(entry.fd)
                    continue
                }
                buffers[entry.fd, default: []] += chunk[0..<count]
                guard let newline = buffers[entry.fd]?.firstIndex(of: UInt8(ascii: "\n")) else { continue }
                outcomes.append(Self.classify(Array(buffers[entry.fd]![..<newline])))
                finished.insert(entry.fd)
            }
            for fd in finished { close(fd) }
            readers.removeAll { finished.contains($0) }
        }
        while !released.load(ordering: .sequentiallyConsistent) { usleep(10_000) }
        for fd in stalled { close(fd) }
        return outcomes
    }

    static func classify(_ line: [UInt8]) -> Outcome {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
            return .other(String(decoding: line.prefix(200), as: UTF8.self))
        }
        if object["ok"] as? Bool == true, object["snapshot"] != nil { return .snapshot }
        switch object.errorCode {
        case "too_many_clients"
        where object.errorMessage == "too many clients (at most 64); try again later":
            return .tooManyClients
        case "idle_timeout": return .closedIdle
        case "server_stopping": return .serverStopping
        default: return .other(String(decoding: line.prefix(200), as: UTF8.self))
        }
    }
}
