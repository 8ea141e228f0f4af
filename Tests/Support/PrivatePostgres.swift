import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A private PostgreSQL for these tests, listening on a Unix socket in a temporary directory only (no
/// TCP port, so nothing to collide with), shared by the test process and stopped when it exits.
///
/// As root the server runs as the `postgres` user through `runuser`: PostgreSQL refuses to run as root.
/// Tests keep apart by schemas of their own. Issue 10's `PostgresTestServer` does the same for the
/// journal's tests; once it is in main this one can go.
public final class PrivatePostgres: Sendable {
    public struct Failure: Error, CustomStringConvertible { public let description: String }

    public let directory: String
    let binaries: String

    public static func shared() throws -> PrivatePostgres { try sharedServer.get() }

    private static let sharedServer: Result<PrivatePostgres, any Error> = Result {
        let server = try PrivatePostgres()
        // The test runner may end without running atexit handlers (or crash): a watchdog shell stops the
        // server and removes its directory once this process is gone.
        try server.watch(getpid())
        return server
    }

    private init() throws {
        let candidates = ["/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/local/bin", "/usr/bin"]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0 + "/pg_ctl") })
        else { throw Failure(description: "no PostgreSQL server binaries (pg_ctl) in \(candidates)") }
        binaries = found
        var template = Array("/tmp/fleet-pg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw Failure(description: "cannot make a temporary directory") }
        directory = String(cString: made)
        if geteuid() == 0 { try Self.run("/usr/bin/chown", ["postgres:postgres", directory]) }
        try asServer(
            "initdb", ["-D", "\(directory)/data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        try asServer(
            "pg_ctl",
            [
                "-D", "\(directory)/data", "-l", "\(directory)/log", "-w", "-t", "30", "-o",
                "-k \(directory) -c listen_addresses= -c fsync=off", "start",
            ])
    }

    /// A URL for the socket, with the journal's `schema` option.
    public func url(schema: String) -> String {
        "postgres://postgres@localhost/postgres?host=\(directory)&schema=\(schema)"
    }

    /// Runs SQL with psql over the socket; stops at the first error.
    public func sql(_ text: String) throws {
        let input = directory + "/in-\(UUID().uuidString.prefix(8)).sql"
        try Data(text.utf8).write(to: URL(fileURLWithPath: input))
        defer { try? FileManager.default.removeItem(atPath: input) }
        try Self.run(
            binaries + "/psql",
            ["-h", directory, "-U", "postgres", "-d", "postgres", "-q", "-v", "ON_ERROR_STOP=1", "-f", input])
    }

    /// Starts a shell, not waited for, that stops the server when process `pid` has ended.
    private func watch(_ pid: pid_t) throws {
        let stop = "\(binaries)/pg_ctl -D \(directory)/data -m immediate -w stop"
        let command = geteuid() == 0 ? "/usr/sbin/runuser -u postgres -- \(stop)" : stop
        let script =
            "while kill -0 \(pid) 2>/dev/null; do sleep 1; done; \(command) >/dev/null 2>&1; rm -rf \(directory)"
        // Its output to /dev/null: holding the runner's output pipe would keep `swift test` waiting.
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", O_RDWR, 0)
        }
        try Self.spawn("/bin/sh", ["-c", script], actions: &actions)
    }

    public func stop() {
        try? asServer("pg_ctl", ["-D", "\(directory)/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func asServer(_ tool: String, _ arguments: [String]) throws {
        if geteuid() == 0 {
            try Self.run("/usr/sbin/runuser", ["-u", "postgres", "--", "\(binaries)/\(tool)"] + arguments)
        } else {
            try Self.run("\(binaries)/\(tool)", arguments)
        }
    }

    /// Runs a tool to its end with output in a file.
    ///
    /// `posix_spawn` and `waitpid`, not `Foundation.Process`: `pg_ctl start` leaves the server running
    /// with what it inherited, and `Process` then waits for descriptors of its own that never close.
    static func run(_ executable: String, _ arguments: [String]) throws {
        let output = "/tmp/fleet-pg-run-\(UUID().uuidString.prefix(8)).out"
        defer { try? FileManager.default.removeItem(atPath: output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let pid = try spawn(executable, arguments, actions: &actions)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        guard status == 0 else {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            throw Failure(description: "\(executable) \(arguments.joined(separator: " ")) failed: \(text)")
        }
    }

    /// Starts `executable` without waiting for it; output to /dev/null unless `actions` say otherwise.
    @discardableResult
    static func spawn(
        _ executable: String, _ arguments: [String], actions: UnsafeMutablePointer<posix_spawn_file_actions_t>? = nil
    ) throws -> pid_t {
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, actions, nil, argv, environ)
        guard spawned == 0 else { throw Failure(description: "cannot start \(executable): errno \(spawned)") }
        return pid
    }
}

/// The journal's tables as issue 10's migrations (v1 and v2) create them, for a schema of one test.
/// Once `DrainPostgres` is in main, the tests should migrate with it instead of repeating its DDL.
public func journalSchema(_ schema: String) -> String {
    """
    CREATE SCHEMA "\(schema)";
    CREATE TABLE "\(schema)".jobs (
        id bigserial PRIMARY KEY, kind text NOT NULL, payload bytea NOT NULL,
        state text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
        attempts integer NOT NULL DEFAULT 0, enqueued_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz, finished_at timestamptz, worker_id uuid, last_error text,
        rescues integer NOT NULL DEFAULT 0);
    CREATE INDEX ON "\(schema)".jobs (id) WHERE state = 'queued';
    CREATE INDEX ON "\(schema)".jobs (worker_id) WHERE state = 'running';
    CREATE TABLE "\(schema)".workers (
        id uuid PRIMARY KEY, name text NOT NULL, host text NOT NULL, pid integer NOT NULL,
        started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        heartbeat_at timestamptz NOT NULL DEFAULT clock_timestamp(), lease_ms integer NOT NULL,
        phase text NOT NULL, in_flight integer NOT NULL DEFAULT 0, deadline timestamptz, drained integer,
        dead_at timestamptz);
    """
}
