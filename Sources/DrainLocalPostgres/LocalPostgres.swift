import DrainSpawn
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A private PostgreSQL server: `initdb` into a temporary directory, `pg_ctl` with its Unix socket there and
/// a free loopback port, stopped at the end (on failure too).
///
/// The tests' server, and `drain-chaos fleet`'s: a shipped tool may link this target, while it must never
/// link the test-support target (`DrainTestSupport`), which is built against the test frameworks. It
/// starts PostgreSQL's own binaries; it links no PostgreSQL client.
///
/// As root (CI) the server runs as the `postgres` user through `runuser`, because PostgreSQL refuses to
/// run as root. The superuser `postgres` needs a password over TCP (scram-sha-256) and none over the
/// socket, so tests can try a wrong password and still set up with `psql`.
package final class LocalPostgres: Sendable {

    /// The directory holding the data, the socket and the log.
    package let directory: String
    package let port: Int
    package let password: String
    let binaries: String

    /// The server the whole test run shares; tests keep apart by using schemas of their own. Started on
    /// first use and stopped when the test process exits (a watchdog stops it if the process dies).
    ///
    /// Every test waits for it, and beside the whole suite and two CPU hogs `initdb` and the start took
    /// 40 s where they take 2 s alone: the suites that use it have a hang guard of 2 minutes, not 1.
    package static func shared() async throws -> LocalPostgres {
        try await sharedServer.value
    }

    private static let sharedServer = Task {
        let server = try await LocalPostgres.start()
        sharedForExit.withLock { $0 = server }
        atexit { LocalPostgres.stopShared() }
        return server
    }

    private static let sharedForExit = Mutex<LocalPostgres?>(nil)

    private static func stopShared() {
        sharedForExit.withLock { $0 }?.stop()
    }

    /// Starts a server of its own; stop it with ``stop()`` (a `defer` right after starting).
    package static func start() async throws -> LocalPostgres {
        try await offPool { try startNow() }
    }

    /// Runs blocking work (initdb, pg_ctl) on a thread of its own. On Swift's cooperative pool, which
    /// has one thread per core (two here), a start that takes seconds would stall every other test in
    /// the process until it ended.
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.start()
        }
    }

    private static func startNow() throws -> LocalPostgres {
        let binaries = try findBinaries()
        var template = Array("/tmp/drain-pg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw LocalPostgresError(.system, "cannot make a temporary directory")
        }
        let directory = String(cString: made)
        let password = "pw-\(UInt32.random(in: 0...UInt32.max))"
        try Data("\(password)\n".utf8).write(to: URL(fileURLWithPath: "\(directory)/pwfile"))
        // A self-signed certificate for 127.0.0.1 and localhost, so TLS is tested against the real server
        // (`sslmode=require`, and `verify-full` with the certificate as its root).
        try run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout", "\(directory)/server.key", "-out", "\(directory)/server.crt",
            ])
        chmod("\(directory)/server.key", 0o600)
        if geteuid() == 0 {
            try run("/usr/bin/chown", ["-R", "postgres:postgres", directory])
        }
        try asServerUser(
            "\(binaries)/initdb",
            [
                "-D", "\(directory)/data", "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
                "--pwfile=\(directory)/pwfile", "-E", "UTF8", "--no-sync",
            ]
        )
        var lastError: (any Error)?
        for _ in 0..<3 {
            let server = LocalPostgres(
                directory: directory, port: try freePort(), password: password, binaries: binaries)
            do {
                try server.startServerNow()
                server.watch()
                return server
            } catch {
                lastError = error
            }
        }
        throw lastError ?? LocalPostgresError(.toolFailed, "PostgreSQL did not start")
    }

    init(directory: String, port: Int, password: String, binaries: String) {
        self.directory = directory
        self.port = port
        self.password = password
        self.binaries = binaries
    }

    /// A URL for the TCP listener; `schema` goes into the query as the journal expects it.
    package func url(database: String = "postgres", schema: String? = nil, password: String? = nil) -> String {
        let query = schema.map { "?schema=\($0)" } ?? ""
        return "postgres://postgres:\(password ?? self.password)@127.0.0.1:\(port)/\(database)\(query)"
    }

    /// The server's self-signed certificate (for 127.0.0.1 and localhost): a root for `sslrootcert=`.
    package var certificate: String { "\(directory)/server.crt" }

    /// A URL for the Unix socket (trusted, no password), in libpq's `host=` form.
    package func socketURL(schema: String) -> String {
        "postgres://postgres@localhost:\(port)/postgres?host=\(directory)&schema=\(schema)"
    }

    /// Runs SQL through `psql` over the Unix socket; returns its unaligned output.
    ///
    /// Off the cooperative pool, like every tool run here: tests poll with it, and a blocking `waitpid`
    /// on one of the pool's two threads starves the tests that share the process.
    @discardableResult
    package func psql(_ sql: String, database: String = "postgres") async throws -> String {
        try await Self.offPool { try self.psqlNow(sql, database: database) }
    }

    private func psqlNow(_ sql: String, database: String) throws -> String {
        try Self.run(
            "\(binaries)/psql",
            ["-h", directory, "-p", "\(port)", "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", sql]
        )
    }

    /// Stops the server at once (`immediate`: like a crash, which is what a restart test wants).
    package func stopServer() async throws {
        try await Self.offPool { try self.stopServerNow() }
    }

    func stopServerNow() throws {
        try Self.asServerUser("\(binaries)/pg_ctl", ["-D", "\(directory)/data", "-m", "immediate", "-w", "stop"])
    }

    /// Starts the server again on the same port and directory.
    package func startServer() async throws {
        try await Self.offPool { try self.startServerNow() }
    }

    func startServerNow() throws {
        let options =
            "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off"
            + " -c full_page_writes=off -c ssl=on -c ssl_cert_file=\(certificate) -c ssl_key_file=\(directory)/server.key"
        try Self.asServerUser(
            "\(binaries)/pg_ctl",
            ["-D", "\(directory)/data", "-l", "\(directory)/log", "-w", "-t", "30", "-o", options, "start"]
        )
    }

    /// Stops the server and removes its directory.
    package func stop() {
        _ = try? stopServerNow()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// ``stop()`` off the cooperative pool, for tests: `pg_ctl stop` waits for the server to exit.
    package func stopAndRemove() async {
        _ = try? await Self.offPool { self.stop() }
    }

    /// A watchdog that stops the server if this process dies without stopping it (a crash, a SIGKILL).
    private func watch() {
        let script = """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
            if [ -d '\(directory)/data' ]; then
              \(Self.serverUserPrefix)'\(binaries)/pg_ctl' -D '\(directory)/data' -m immediate stop >/dev/null 2>&1
              rm -rf '\(directory)'
            fi
            """
        _ = try? Self.spawn("/bin/sh", ["-c", script], outputPath: "/dev/null", ownGroup: true)
    }

    private static var serverUserPrefix: String { geteuid() == 0 ? "/usr/sbin/runuser -u postgres -- " : "" }

    private static func asServerUser(_ tool: String, _ arguments: [String]) throws {
        if geteuid() == 0 {
            try run("/usr/sbin/runuser", ["-u", "postgres", "--", tool] + arguments)
        } else {
            try run(tool, arguments)
        }
    }

    /// Runs a tool to its end with `posix_spawn` and `waitpid`, its output in a file.
    ///
    /// A file, not a pipe: `pg_ctl start` leaves the server holding its output, so a pipe never ends.
    /// And `waitpid` rather than Foundation's `Process`, whose exit monitoring can stall while the test
    /// process's threads are busy.
    @discardableResult
    private static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let outputPath = "/tmp/drain-pg-output-\(getpid())-\(UUID().uuidString)"
        defer { unlink(outputPath) }
        let pid = try spawn(tool, arguments, outputPath: outputPath, ownGroup: false)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exited = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff
        guard exited, code == 0 else {
            throw LocalPostgresError(
                .toolFailed, "\(tool) \(arguments.joined(separator: " ")) failed (status \(status)): \(text)")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Starts a child with its output in `outputPath`; `ownGroup` keeps it out of this process's group,
    /// so that it outlives a kill of the test run.
    ///
    /// Through ``ChildSpawn``, which closes every descriptor but the three standard ones in the child: the
    /// server lives for the whole run, and any descriptor of the test process it kept would stay open as
    /// long (see ``ChildSpawn``).
    private static func spawn(_ tool: String, _ arguments: [String], outputPath: String, ownGroup: Bool) throws
        -> pid_t
    {
        let spawned = ChildSpawn.spawn(
            executable: tool, arguments: arguments, environment: ProcessInfo.processInfo.environment,
            outputPath: outputPath, newProcessGroup: ownGroup, defaultSignals: [])
        switch spawned {
        case .success(let pid): return pid
        case .failure(let error): throw LocalPostgresError(.toolFailed, "cannot start \(tool): \(error.description)")
        }
    }

    private static func findBinaries() throws -> String {
        var candidates: [String] = []
        if let found = try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql") {
            candidates += found.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "/usr/lib/postgresql/\($0)/bin" }
        }
        candidates += (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for directory in candidates
        where ["initdb", "pg_ctl", "psql"].allSatisfy({
            FileManager.default.isExecutableFile(atPath: "\(directory)/\($0)")
        }) {
            return directory
        }
        throw LocalPostgresError(
            .notInstalled,
            "the PostgreSQL server binaries (initdb, pg_ctl, psql) are not installed: install the Debian package "
                + "'postgresql' (sudo apt-get install -y postgresql); the PostgreSQL tests need a real server"
        )
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LocalPostgresError(.system, "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw LocalPostgresError(.system, "cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
