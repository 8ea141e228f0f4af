import DrainClient
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An operator on a thread of its own with a blocking socket, as `drainctl` is in a process of its own:
/// its round trips measure the server, not this test process's cooperative threads, which a thousand
/// test clients keep busy.
final class OperatorThread: Sendable {
    struct Result: Sendable {
        var roundTrips: [Duration] = []
        /// Why the loop ended: nil when asked to stop or the pool reported it stopped.
        var failure: String?
        var lastLine: String?
    }

    private let stop = Atomic<Bool>(false)
    private let fd: Int32

    /// Connects and waits for the `hello` reply: admitted before anything else happens.
    init(path: String) throws {
        switch UnixSocket.connect(path) {
        case .success(let fd): self.fd = fd
        case .failure(let error): throw error
        }
        var reader = LineReader(fd: fd)
        guard case .success = UnixSocket.writeAll(fd, Array("{\"op\":\"hello\"}\n".utf8)) else {
            throw Refused(line: "write failed")
        }
        let line = try reader.next().map { String(decoding: $0, as: UTF8.self) }
        guard let line, line.contains("\"ok\":true") else { throw Refused(line: line ?? "end of file") }
    }

    struct Refused: Error { var line: String }

    private let results = AsyncStream<Result>.makeStream()

    /// Starts asking for `status` every `pause`, on a thread started now, until ``finish()`` or a reply in
    /// the stopped phase; the connection closes at the end.
    func start(pause: Duration) {
        DetachedThread.start(name: "test-operator") { [self] in
            results.continuation.yield(loop(pause: pause))
            results.continuation.finish()
            close(fd)
        }
    }

    /// What the loop saw, once it ended.
    func result() async -> Result {
        for await result in results.stream { return result }
        return Result(failure: "no result")
    }

    func finish() { stop.store(true, ordering: .sequentiallyConsistent) }

    private func loop(pause: Duration) -> Result {
        var result = Result()
        var reader = LineReader(fd: fd)
        while !stop.load(ordering: .sequentiallyConsistent) {
            let start = ContinuousClock.now
            guard case .success = UnixSocket.writeAll(fd, Array("{\"op\":\"status\"}\n".utf8)) else {
                result.failure = "write failed: \(String(cString: strerror(errno)))"
                return result
            }
            let line: ArraySlice<UInt8>?
            do {
                line = try reader.next()
            } catch {
                result.failure = "read failed: \(error) (errno \(errno): \(String(cString: strerror(errno))))"
                return result
            }
            guard let line else {
                result.failure = "the server closed the connection"
                return result
            }
            let text = String(decoding: line, as: UTF8.self)
            result.lastLine = String(text.prefix(300))
            guard text.contains("\"type\":\"result\"") else {
                result.failure = "not a result"
                return result
            }
            if text.contains("\"phase\":\"stopped\"") { return result }
            result.roundTrips.append(ContinuousClock.now - start)
            usleep(UInt32(pause / .microseconds(1)))
        }
        return result
    }
}
