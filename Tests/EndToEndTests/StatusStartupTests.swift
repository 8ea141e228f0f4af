import DrainProtocol
import DrainTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `drainctl status` starts like a small tool (issue 18, docs/STARTUP.md): its plain forms are answered
/// before ArgumentParser builds its command tree and without Swift concurrency's worker threads, and give
/// what ArgumentParser's path gives for the same reply.
@Suite("drainctl status start-up", .timeLimit(.minutes(5)))
struct StatusStartupTests {
    @Test("the plain forms of status ask their question from the main thread alone")
    func oneThread() async throws {
        let sandbox = try Sandbox()
        let server = try HeldServer(path: "\(sandbox.root.path)/held.sock")
        for arguments in [
            ["status", "--socket", server.path], ["status", "--json", "--socket=\(server.path)"],
            ["status", "--run-dir", sandbox.runDir, "--socket", server.path],
        ] {
            let child = try Spawned(Binaries.drainctl, arguments, environment: sandbox.environment, in: sandbox)
            let threads = await server.serveOne(client: child.pid)
            // Counted while drainctl, its request sent, waits for the reply: every thread it will ever have
            // exists then. The async path ran that request on a worker thread of the global executor.
            #expect(threads == 1, "\(arguments)")
            #expect(try await child.wait() == 0, "\(arguments): \(child.stderr)")
            #expect(child.stdout.contains("held"), "\(arguments): \(child.stdout)")
        }
    }

    @Test("a plain form prints what ArgumentParser's path prints for the same reply")
    func sameOutput() async throws {
        let sandbox = try Sandbox()
        let server = try HeldServer(path: "\(sandbox.root.path)/held.sock")
        for json in [false, true] {
            var outputs: [String] = []
            // A repeated --socket is not a plain form, so it goes through ArgumentParser (the last one wins).
            for socket in [["--socket", server.path], ["--socket", "/nowhere", "--socket", server.path]] {
                let arguments = ["status"] + (json ? ["--json"] : []) + socket
                let child = try Spawned(Binaries.drainctl, arguments, environment: sandbox.environment, in: sandbox)
                #expect(await server.serveOne(client: child.pid) > 0, "\(arguments)")
                #expect(try await child.wait() == 0, "\(arguments): \(child.stderr)")
                outputs.append(child.stdout)
            }
            #expect(outputs[0] == outputs[1])
            #expect(outputs[0].contains("held"))
        }
    }

    @Test(
        "errors and help keep their messages and exit codes on both paths",
        arguments: [
            (["status", "--socket", "/nowhere/x.sock"], 3, "there is no socket at /nowhere/x.sock"),
            (["status", "--socket", "/nowhere/a.sock", "--socket", "/nowhere/x.sock"], 3, "no socket at /nowhere/x"),
            (["status", "--socket"], 64, "Missing value for '--socket <socket>'"),
            (["status", "--bogus"], 64, "Unknown option '--bogus'"),
            (["status", "--json=yes"], 64, "does not take any value"),
            (["status", "--all", "--socket", "/nowhere/x.sock"], 64, "--all and --socket exclude each other"),
            (["status", "--help"], 0, "USAGE: drainctl status"),
        ])
    func errors(arguments: [String], code: Int32, message: String) async throws {
        let sandbox = try Sandbox()
        let result = try await drainctl(arguments, in: sandbox)
        #expect(result.code == code, "\(arguments): \(result.err)")
        #expect((result.out + result.err).contains(message), "\(arguments): \(result.out)\(result.err)")
    }
}

/// A control socket that answers one `status` with a snapshot of a process named `held`, after counting the
/// threads of the client waiting for it.
///
/// Each connection is served on a thread of its own, not in a task: in a full test run the cooperative pool
/// can be busy for longer than drainctl's 5 s reply timeout.
final class HeldServer: Sendable {
    let path: String
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, listen(fd, 4) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    /// Accepts one connection, reads its request, counts the threads of `client` (the process that
    /// connected), answers and closes. Returns the thread count, or 0 when no client came or the request
    /// was not one.
    func serveOne(client pid: Int32) async -> Int {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.serve(pid)) }.start()
        }
    }

    private func serve(_ pid: Int32) -> Int {
        var listener = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&listener, 1, 30_000) == 1 else { return 0 }
        let client = accept(fd, nil, nil)
        guard client >= 0 else { return 0 }
        defer { close(client) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !received.contains(UInt8(ascii: "\n")) {
            var ready = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 30_000) == 1 else { return 0 }
            let count = read(client, &buffer, buffer.count)
            guard count > 0 else { return 0 }
            received += buffer[..<count]
        }
        let line = received.prefix { $0 != UInt8(ascii: "\n") }
        guard let request = try? JSONDecoder.drain.decode(ControlRequest.self, from: Data(line)),
            request.op == ControlRequest.Operation.status.rawValue
        else { return 0 }
        let threads = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? [])
            .count
        let snapshot = PoolSnapshot(
            name: "held", pid: 4242, phase: .running, time: Date(timeIntervalSince1970: 1_800_000_000))
        var reply = (try? JSONEncoder.drain.encode(ControlMessage.status(id: request.id, snapshot))) ?? Data()
        reply.append(UInt8(ascii: "\n"))
        reply.withUnsafeBytes { _ = write(client, $0.baseAddress, $0.count) }
        return threads
    }

    deinit {
        close(fd)
        unlink(path)
    }
}
