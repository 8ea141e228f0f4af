import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// The service behind `drainctl demo`: a `drain-demo` child with its own temporary run directory and
/// journal, so it never mixes with real processes.
///
/// The child never outlives us, however we end: it gets the read end of a pipe whose write end only we
/// hold (`drain-demo --parent-fd 3`). When we exit, even by SIGKILL, the kernel closes our end, the child
/// reads end-of-file and drains as on SIGTERM. `PR_SET_PDEATHSIG` would not do: it fires when the
/// spawning *thread* ends, and the concurrency pool retires idle threads.
public final class DemoService: Sendable {
    /// The demo's workload, tuned so a 15 s drain shows some jobs finishing and some requeued.
    public struct Workload: Sendable, Hashable {
        /// New jobs per second.
        public var rate = 3.0
        public var concurrency = 10
        /// Shrinks the demo's job durations (the slowest kind has a heavy tail past 30 s).
        public var durationScale = 0.5
        /// The grace the demo uses by default, and the one `top` proposes.
        public var grace = 15.0

        public init() {}
    }

    /// The temporary directory holding the run directory, the journal and the log.
    public let directory: String
    public let runDirectory: RunDirectory
    public let child: ChildProcess
    /// The child's control socket.
    public let socket: String
    /// The child's stdout and stderr.
    public let logPath: String
    /// Our (write) end of the parent pipe; closing it, or our death, tells the child we are gone.
    private let parentPipe: Int32

    private init(directory: String, child: ChildProcess, logPath: String, parentPipe: Int32) {
        self.directory = directory
        self.parentPipe = parentPipe
        self.runDirectory = RunDirectory(path: directory + "/run")
        self.child = child
        self.socket = runDirectory.socketPath(name: "demo", pid: child.pid)
        self.logPath = logPath
    }

    /// Starts `drain-demo` and waits until its control socket answers.
    /// - Parameters:
    ///   - executable: The `drain-demo` binary, see ``locate(nextTo:)``.
    ///   - workload: Rate, concurrency, duration scale and grace.
    /// - Throws: ``SpawnError`` `spawnFailed` when it cannot start, `notReady` when it exits before listening.
    public static func start(executable: String, workload: Workload) async throws(SpawnError) -> DemoService {
        var template = Array("/tmp/drainctl-demo-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw SpawnError(.spawnFailed, "cannot create a temporary directory: \(Errno(errno).description)")
        }
        let directory = String(cString: made)
        let logPath = directory + "/drain-demo.log"
        var environment = ProcessInfo.processInfo.environment
        environment["DRAINCTL_RUN_DIR"] = directory + "/run"
        let arguments = [
            "--name", "demo", "--run-dir", directory + "/run", "--journal", directory + "/journal.sqlite",
            "--rate", "\(workload.rate)", "--concurrency", "\(workload.concurrency)",
            "--duration-scale", "\(workload.durationScale)", "--grace", "\(workload.grace)", "--log-level", "warning",
            "--parent-fd", "\(ChildSpawn.inheritedDescriptor)",
        ]
        var ends: [Int32] = [0, 0]
        // pipe2(O_CLOEXEC) is a GNU extension Swift's Glibc does not import; drainctl starts no other child
        // meanwhile, so setting the flags just after cannot leak an end into one.
        guard pipe(&ends) == 0, fcntl(ends[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(ends[1], F_SETFD, FD_CLOEXEC) == 0
        else {
            try? FileManager.default.removeItem(atPath: directory)
            throw SpawnError(.spawnFailed, "cannot create a pipe for drain-demo: \(Errno(errno).description)")
        }
        let child: ChildProcess
        do {
            child = try ChildProcess(
                executable: executable, arguments: arguments, environment: environment, outputPath: logPath,
                inherit: ends[0])
            close(ends[0])
        } catch {
            close(ends[0])
            close(ends[1])
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        let service = DemoService(directory: directory, child: child, logPath: logPath, parentPipe: ends[1])
        let deadline = ContinuousClock.now + .seconds(20)
        while SocketProbe.probe(path: service.socket) != .live {
            if child.exitCode != nil || ContinuousClock.now > deadline {
                let log = service.log
                await service.stop()
                throw SpawnError(.notReady, "drain-demo did not start:\n\(log)")
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return service
    }

    /// `drain-demo` next to `drainctl`: the directory of the running executable, symlinks resolved.
    /// - Throws: ``SpawnError`` `spawnFailed` naming where it looked.
    public static func locate(nextTo arguments: [String] = CommandLine.arguments) throws(SpawnError) -> String {
        var directories: [URL] = []
        if let first = arguments.first, first.contains("/") {
            directories.append(URL(fileURLWithPath: first).resolvingSymlinksInPath())
        }
        directories.append(URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath())
        let candidates = directories.map { $0.deletingLastPathComponent().appendingPathComponent("drain-demo").path }
        if let found = candidates.first(where: FileManager.default.isExecutableFile(atPath:)) { return found }
        let looked = Array(Set(candidates)).sorted().joined(separator: ", ")
        throw SpawnError(
            .spawnFailed,
            "drain-demo is not next to drainctl (looked at \(looked)); build it with `swift build --product drain-demo`"
        )
    }

    /// The child's output so far (its last 2 KB).
    public var log: String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return String(text.suffix(2048))
    }

    /// Stops the child (SIGTERM, then again to force, then SIGKILL) and removes the temporary files.
    /// - Returns: The child's exit code.
    @discardableResult
    public func stop() async -> Int32 {
        let code = await child.stop()
        try? FileManager.default.removeItem(atPath: directory)
        return code
    }

    deinit { close(parentPipe) }
}
