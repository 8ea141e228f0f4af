import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A client that sends its requests and then closes its sending side still gets every answer: the way
/// `echo … | socat` and HAProxy-style scripts use a stats socket.
@Suite("requests followed by end of input", .timeLimit(.minutes(5)))
struct HalfCloseTests {
    static func lines(_ socket: RawSocket) async -> [[String: Any]] {
        var lines: [[String: Any]] = []
        while let line = await socket.readLine(timeout: 5) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                Issue.record("not JSON: \(line)")
                return lines
            }
            lines.append(object)
        }
        return lines
    }

    @Test("a request, then shutdown(SHUT_WR), is answered before the server closes")
    func rawHalfClose() async throws {
        let sandbox = try Sandbox()
        let demo = try await startDemo(["--rate", "0"], in: sandbox)
        let socket = try RawSocket(path: "\(sandbox.runDir)/demo.\(demo.pid).sock")
        socket.send("{\"op\":\"hello\",\"id\":7}\n")
        #expect(shutdown(socket.fd, Int32(SHUT_WR)) == 0)
        let replies = await Self.lines(socket)
        #expect(replies.count == 1)
        #expect(replies.first?["id"] as? Int == 7)
        #expect((replies.first?["hello"] as? [String: Any])?["pid"] as? Int == Int(demo.pid))
        demo.signal(SIGTERM)
        _ = try await demo.wait()
    }

    @Test("a last line without its newline is a request too, answered after the half-close")
    func lastLineWithoutNewline() async throws {
        let sandbox = try Sandbox()
        let demo = try await startDemo(["--rate", "0"], in: sandbox)
        let socket = try RawSocket(path: "\(sandbox.runDir)/demo.\(demo.pid).sock")
        socket.send("{\"op\":\"hello\",\"id\":1}\n{\"op\":\"status\",\"id\":2}")
        #expect(shutdown(socket.fd, Int32(SHUT_WR)) == 0)
        let replies = await Self.lines(socket)
        #expect(replies.map { $0["id"] as? Int } == [1, 2])
        #expect((replies.last?["snapshot"] as? [String: Any])?["name"] as? String == "demo")
        demo.signal(SIGTERM)
        _ = try await demo.wait()
    }

    @Test(
        "echo '{\"op\":\"hello\"}' | socat - UNIX-CONNECT:… prints the hello reply",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/socat"), "needs socat (apt install socat)"))
    func socat() async throws {
        let sandbox = try Sandbox()
        let demo = try await startDemo(["--rate", "0"], in: sandbox)
        let path = "\(sandbox.runDir)/demo.\(demo.pid).sock"
        for (request, check) in [
            (#"{"op":"hello"}"#, "\"hello\":{"),
            (#"{"op":"status"}"#, "\"snapshot\":{"),
        ] {
            // printf too: socat sends the bytes as they are, so the request without a newline is covered.
            for feed in ["echo '\(request)'", "printf '%s' '\(request)'"] {
                let shell = try Spawned(
                    URL(fileURLWithPath: "/bin/sh"), ["-c", "\(feed) | socat -t 10 - UNIX-CONNECT:\(path)"],
                    environment: sandbox.environment, in: sandbox)
                #expect(try await shell.wait() == 0, "\(feed): \(shell.stderr)")
                #expect(shell.stdout.contains(check), "\(feed) printed: \(shell.stdout)")
                #expect(shell.stdout.contains("\"ok\":true"), "\(feed) printed: \(shell.stdout)")
            }
        }
        demo.signal(SIGTERM)
        _ = try await demo.wait()
    }
}
