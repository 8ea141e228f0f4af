#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

// Why in DrainProtocol, and not in DrainClient or a target of its own: where the socket lives, who may own
// its directory and how it is named are part of the contract between a process and its operators
// (docs/PROTOCOL.md documents the location beside the messages), and both sides must apply the same
// rules. The server (DrainControl) creates and checks the directory, the client (DrainClient, drainctl)
// finds and checks it; both already depend on DrainProtocol, so neither depends on the other. The rules
// need only FoundationEssentials and libc, so this target still links no NIO, no SQLite and no ICU. A
// target of their own would add a module to both sides for ~200 lines.

/// The directory holding one control socket per process: `<name>.<pid>.sock`.
///
/// `$DRAINCTL_RUN_DIR` if set, else `$XDG_RUNTIME_DIR/drainctl`, else `/tmp/drainctl-<uid>`. The
/// directory is private (0700) and must belong to the user: a symlink or a foreign owner is refused, so
/// another user cannot plant a socket where `drainctl` will look.
public struct RunDirectory: Sendable, Hashable, CustomStringConvertible {
    public var path: String

    public init(path: String) { self.path = path }

    /// The run directory chosen from the environment.
    public static func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) -> RunDirectory {
        if let explicit = environment["DRAINCTL_RUN_DIR"], !explicit.isEmpty { return RunDirectory(path: explicit) }
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            return RunDirectory(path: runtime + "/drainctl")
        }
        return RunDirectory(path: "/tmp/drainctl-\(geteuid())")
    }

    public var description: String { path }

    /// Creates the directory (0700) if missing, and checks it is safe to use.
    /// - Throws: ``ControlError`` `unsafeRunDirectory` for a symlink, a non-directory, a foreign owner or
    ///   a directory others can write to.
    public func prepare() throws {
        if mkdir(path, 0o700) != 0, errno != EEXIST {
            throw ControlError(
                .unsafeRunDirectory, "cannot create the run directory \(path): \(String(cString: strerror(errno)))")
        }
        try verify()
    }

    /// Checks the directory without creating it.
    public func verify() throws {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw ControlError(.notFound, "the run directory \(path) does not exist")
        }
        if (info.st_mode & S_IFMT) == S_IFLNK {
            throw ControlError(.unsafeRunDirectory, "refusing the run directory \(path): it is a symlink")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw ControlError(.unsafeRunDirectory, "refusing the run directory \(path): it is not a directory")
        }
        guard info.st_uid == geteuid() else {
            throw ControlError(
                .unsafeRunDirectory,
                "refusing the run directory \(path): it belongs to uid \(info.st_uid), not to uid \(geteuid())"
            )
        }
        if info.st_mode & 0o022 != 0 {
            throw ControlError(
                .unsafeRunDirectory,
                "refusing the run directory \(path): others can write to it (mode \(String(info.st_mode & 0o777, radix: 8)); chmod 700 it)"
            )
        }
    }

    /// The socket path for a process.
    public func socketPath(name: String, pid: Int32 = getpid()) -> String { "\(path)/\(name).\(pid).sock" }

    /// The sockets in the directory, sorted by name then pid. Nothing if the directory does not exist.
    public func entries() -> [ProcessEntry] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return [] }
        return names.compactMap { ProcessEntry(directory: path, fileName: $0) }
            .sorted { ($0.name, $0.pid) < ($1.name, $1.pid) }
    }
}
