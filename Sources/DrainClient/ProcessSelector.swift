import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// Picks the process a `drainctl` command talks to.
///
/// An explicit socket wins; otherwise the run directory must hold exactly one live process. Several is
/// an error that lists them, and none is an error that says where it looked.
public enum ProcessSelector {
    /// - Parameters:
    ///   - socket: `--socket`, a path to one process's socket.
    ///   - runDirectory: Where to look when `socket` is nil; only evaluated then, because the default run
    ///     directory reads the whole environment, which `drainctl status --socket` has no use for.
    ///   - probe: Whether to check that `socket` answers (a connection of its own). A caller about to
    ///     connect anyway passes false: its own `connect` tells a stale socket, with the same message.
    /// - Throws: ``ControlError`` `notFound`, `ambiguous` or `unsafeRunDirectory`.
    public static func select(
        socket: String?, runDirectory: @autoclosure () -> RunDirectory, probe: Bool = true
    ) throws -> ProcessEntry {
        if let socket {
            let slash = socket.lastIndex(of: "/")
            let fileName = slash.map { String(socket[socket.index(after: $0)...]) } ?? socket
            let directory = slash.map { String(socket[..<$0]) } ?? "."
            let entry =
                ProcessEntry(directory: directory, fileName: fileName)
                ?? ProcessEntry(name: fileName, pid: 0, path: socket)
            if !probe {
                var info = stat()
                guard lstat(socket, &info) == 0 else {
                    throw ControlError(.notFound, "there is no socket at \(socket)")
                }
                return ProcessEntry(name: entry.name, pid: entry.pid, path: socket)
            }
            switch SocketProbe.probe(path: socket) {
            case .live: return ProcessEntry(name: entry.name, pid: entry.pid, path: socket)
            case .stale:
                throw ControlError(
                    .notFound, "nothing is listening on \(socket) (a stale socket; `drainctl ls --prune` removes it)")
            case .missing: throw ControlError(.notFound, "there is no socket at \(socket)")
            }
        }
        let runDirectory = runDirectory()
        if FileManager.default.fileExists(atPath: runDirectory.path) { try runDirectory.verify() }
        let live = runDirectory.entries().filter { SocketProbe.probe(path: $0.path) == .live }
        switch live.count {
        case 0:
            throw ControlError(
                .notFound,
                "no running process found in \(runDirectory.path); start one (drain-demo) or pass --socket or --run-dir"
            )
        case 1:
            return live[0]
        default:
            let list = live.map { "  \($0.name) (pid \($0.pid))  --socket \($0.path)" }.joined(separator: "\n")
            throw ControlError(
                .ambiguous, "several processes in \(runDirectory.path); choose one with --socket:\n\(list)")
        }
    }
}
