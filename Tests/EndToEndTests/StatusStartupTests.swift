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
@Suite("drainctl status start-up", .timeLimit(.minutes(1)))
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
            let connection = try await server.accept()
            let id = try await connection.request()
            // drainctl has sent its request and is blocked on the reply: every thread it will ever have
            // exists now. The async path ran that request on a worker thread of the global executor.
            #expect(Self.threads(of: child.pid) == 1, "\(arguments): threads \(Self.threads(of: child.pid))")
            connection.reply(id: id)
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
                let connection = try await server.accept()
                connection.reply(id: try await connection.request())
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

    static func threads(of pid: Int32) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []).count
    }
}

/// A control socket that accepts a connection, reads its request and answers only when told: a server
/// that holds the client where the test wants it.
final class HeldServer {
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
        guard bound == 0, listen(fd, 4) == 0, fcntl(fd, F_SETFL, O_NONBLOCK) == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    func accept() async throws -> Connection {
        let client = try await eventuallyValue("drainctl to connect") { () -> Int32? in
            let client = Glibc.accept(self.fd, nil, nil)
            return client >= 0 ? client : nil
        }
        return Connection(fd: client)
    }

    deinit {
        close(fd)
        unlink(path)
    }

    final class Connection {
        let fd: Int32
        private var received: [UInt8] = []

        init(fd: Int32) {
            self.fd = fd
            _ = fcntl(fd, F_SETFL, O_NONBLOCK)
        }

        /// Waits for the request line and returns its id.
        func request() async throws -> Int? {
            let line = try await eventuallyValue("drainctl's request") { () -> [UInt8]? in
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = read(self.fd, &buffer, buffer.count)
                if count > 0 { self.received += buffer[..<count] }
                guard let end = self.received.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
                return Array(self.received[..<end])
            }
            let request = try JSONDecoder.drain.decode(ControlRequest.self, from: Data(line))
            #expect(request.op == ControlRequest.Operation.status.rawValue)
            return request.id
        }

        /// Answers with a snapshot of a process named `held`, and closes.
        func reply(id: Int?) {
            let snapshot = PoolSnapshot(
                name: "held", pid: 4242, phase: .running, time: Date(timeIntervalSince1970: 1_800_000_000))
            var line = (try? JSONEncoder.drain.encode(ControlMessage.status(id: id, snapshot))) ?? Data()
            line.append(UInt8(ascii: "\n"))
            line.withUnsafeBytes { _ = write(fd, $0.baseAddress, $0.count) }
        }

        deinit { close(fd) }
    }
}
