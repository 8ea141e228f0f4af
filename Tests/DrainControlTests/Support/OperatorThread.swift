import DrainClient
import DrainProtocol
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
    private let results = AsyncStream<Result>.makeStream()
    private let hello = AsyncStream<String?>.makeStream()

    /// Starts the thread: it connects, says `hello` and, once answered (``admitted()``), asks for `status`
    /// every `pause` until ``finish()`` or a reply in the stopped phase. Nothing here blocks the caller:
    /// a blocked cooperative thread is one the server under test may need to answer.
    init(path: String, pause: Duration) {
        let (results, hello) = (results.continuation, hello.continuation)
        DetachedThread.start(name: "test-operator") { [self] in
            guard case .success(let fd) = UnixSocket.connect(path) else {
                hello.yield("cannot connect")
                return
            }
            defer { close(fd) }
            var reader = LineReader(fd: fd)
            guard case .success = UnixSocket.writeAll(fd, Array("{\"op\":\"hello\"}\n".utf8)),
                let line = try? reader.next().map({ String(decoding: $0, as: UTF8.self) }), line.contains("\"ok\":true")
            else {
                hello.yield("no hello reply")
                return
            }
            hello.yield(nil)
            results.yield(loop(fd: fd, reader: &reader, pause: pause))
            results.finish()
        }
    }

    /// Returns once the server answered `hello`: the connection is admitted.
    func admitted() async throws {
        for await failure in hello.stream {
            if let failure { throw Refused(line: failure) }
            return
        }
    }

    struct Refused: Error { var line: String }

    /// What the loop saw, once it ended.
    func result() async -> Result {
        for await result in results.stream { return result }
        return Result(failure: "no result")
    }

    func finish() { stop.store(true, ordering: .sequentiallyConsistent) }

    private func loop(fd: Int32, reader: inout LineReader, pause: Duration) -> Result {
        var result = Result()
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
            // The drain is over and the server stops: it says so on its last line, the operator's end too.
            if text.contains("\"code\":\"server_stopping\"") { return result }
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
