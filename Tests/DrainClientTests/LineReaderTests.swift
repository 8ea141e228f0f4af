import DrainClient
import DrainProtocol
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The client's line framing over a real socket pair: what the server writes, split anywhere.
@Suite("line reader", .timeLimit(.minutes(5)))
struct LineReaderTests {
    /// A connected pair of Unix stream sockets; the reader gets the first, the test writes to the second.
    static func pair() throws -> (reader: Int32, writer: Int32) {
        var fds: [Int32] = [0, 0]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        return (fds[0], fds[1])
    }

    static func write(_ fd: Int32, _ text: String) {
        _ = UnixSocket.writeAll(fd, Array(text.utf8))
    }

    static func text(_ line: ArraySlice<UInt8>?) -> String? { line.map { String(decoding: $0, as: UTF8.self) } }

    @Test("lines split across writes, CRLF endings and a last line without its newline all come out whole")
    func framing() throws {
        let (reader, writer) = try Self.pair()
        defer { close(reader) }
        var lines = LineReader(fd: reader)
        Self.write(writer, "{\"a\":1}\r\n{\"b\"")
        #expect(Self.text(try lines.next()) == "{\"a\":1}")
        Self.write(writer, ":2}\n\n{\"c\":3}")
        #expect(Self.text(try lines.next()) == "{\"b\":2}")
        #expect(Self.text(try lines.next()) == "")
        close(writer)
        #expect(Self.text(try lines.next()) == "{\"c\":3}")
        #expect(try lines.next() == nil)
    }

    @Test("a peer that never sends a newline ends the reading instead of growing the buffer")
    func tooLong() throws {
        let (reader, writer) = try Self.pair()
        defer {
            close(reader)
            close(writer)
        }
        var lines = LineReader(fd: reader, maxLineBytes: 100)
        Self.write(writer, String(repeating: "x", count: 300))
        #expect(throws: LineReader.Failure.lineTooLong) { _ = try lines.next() }
    }

    @Test("a deadline that passes without a line is a timeout, not a hang")
    func timeout() throws {
        let (reader, writer) = try Self.pair()
        defer {
            close(reader)
            close(writer)
        }
        var lines = LineReader(fd: reader)
        let started = Monotonic.nanoseconds
        #expect(throws: LineReader.Failure.timedOut) {
            _ = try lines.next(deadline: Monotonic.deadline(after: .milliseconds(50)))
        }
        #expect(Monotonic.nanoseconds - started >= 50_000_000)
    }

    @Test("connecting to a socket file nobody listens on, or to no file, says which")
    func connectErrors() throws {
        let path = "/tmp/dcl-\(getpid())-\(Int.random(in: 0..<1_000_000)).sock"
        #expect {
            _ = try ControlConnection(path: path)
        } throws: { ($0 as? ControlError)?.message.contains("there is no socket") == true }
        // A bound socket that is not listening: what a killed server leaves behind.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer {
            close(fd)
            unlink(path)
        }
        _ = UnixSocket.withAddress(path) { bind(fd, $0, $1) }
        #expect {
            _ = try ControlConnection(path: path)
        } throws: { ($0 as? ControlError)?.message.contains("a stale socket") == true }
    }
}
