import BenchmarkSupport
import DrainControl
import DrainProtocol
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A running pool with a real ``ControlServer`` on a Unix socket and `subscribers` real client sockets
/// subscribed to it: some read everything, the others (`stalledEvery`) never read after subscribing.
///
/// Plain blocking POSIX sockets, read by one thread of their own, so the clients cost the server's
/// process nothing but the server's work: no NIO channels or tasks of theirs compete with the workers.
final class SubscriberLoad: Sendable {
    let running: RunningPool
    private let server: ControlServer
    private let serverTask: Task<Void, any Error>
    private let directory: String
    private let readers: [Int32]
    private let stalled: [Int32]
    private let stop = Atomic<Bool>(false)
    private let readerDone = Atomic<Bool>(false)

    /// - Parameters:
    ///   - durable: A SQLite journal, else an in-memory one.
    ///   - subscribers: Client sockets subscribed at `intervalMs`.
    ///   - stalledEvery: Every n-th subscriber never reads.
    init(durable: Bool, subscribers: Int, stalledEvery: Int, intervalMs: Int = 100) async throws {
        running = try RunningPool(durable: durable, concurrency: 64, maxQueued: 100_000)
        directory = "/tmp/dcb-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        var configuration = ControlServerConfiguration(runDirectory: RunDirectory(path: directory + "/run"))
        configuration.maxClients = subscribers + 100
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let server = try await ControlServer.bind(pool: running.pool, configuration: configuration, logger: logger)
        self.server = server
        serverTask = Task { try await server.run() }
        var readers: [Int32] = []
        var stalled: [Int32] = []
        let line = Array("{\"op\":\"subscribe\",\"interval_ms\":\(intervalMs)}\n".utf8)
        for index in 0..<subscribers {
            let fd = try Self.connect(server.socketPath)
            guard write(fd, line, line.count) == line.count else { throw BenchError("cannot send subscribe") }
            if index % stalledEvery == stalledEvery - 1 { stalled.append(fd) } else { readers.append(fd) }
        }
        self.readers = readers
        self.stalled = stalled
        // Subscribed means the reply arrived; a stalled socket is only peeked at, so nothing of it is read.
        for fd in stalled { try Self.waitReadable(fd, peek: true) }
        for fd in readers { try Self.waitReadable(fd, peek: false) }
        let thread = Thread { [self] in readAll() }
        thread.start()
    }

    /// Reads and discards whatever the reading subscribers get, until ``close()``.
    private func readAll() {
        var polls = readers.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !stop.load(ordering: .relaxed) {
            guard poll(&polls, nfds_t(polls.count), 50) > 0 else { continue }
            for index in polls.indices where polls[index].revents != 0 {
                if read(polls[index].fd, &buffer, buffer.count) <= 0 { polls[index].fd = -1 }
            }
        }
        readerDone.store(true, ordering: .releasing)
    }

    /// Stops the reader, the server (cancelled: it must still close every connection) and the pool.
    func close() async {
        stop.store(true, ordering: .relaxed)
        while !readerDone.load(ordering: .acquiring) { try? await Task.sleep(for: .milliseconds(10)) }
        for fd in readers + stalled { Glibc.close(fd) }
        serverTask.cancel()
        _ = try? await serverTask.value
        await running.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static func connect(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(path.utf8))
            raw[path.utf8.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            Glibc.close(fd)
            throw BenchError("connect \(path): \(String(cString: strerror(errno)))")
        }
        return fd
    }

    /// Waits up to 10 s for the first bytes: read (and dropped) or, with `peek`, left in the socket.
    private static func waitReadable(_ fd: Int32, peek: Bool) throws {
        var one = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&one, 1, 10_000) == 1 else { throw BenchError("no subscribe reply within 10 s") }
        var byte: UInt8 = 0
        guard recv(fd, &byte, 1, peek ? Int32(MSG_PEEK) : 0) == 1 else { throw BenchError("subscriber closed") }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
