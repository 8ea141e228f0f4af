import DrainClient
import DrainProtocol
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The network side of the dashboard: one subscription at a time, short connections for commands, and
/// a watch on the run directory. Everything it learns goes to the ``Inbox``.
final class Feed: Sendable {
    let inbox: Inbox
    let runDirectory: RunDirectory
    /// Processes to list even if they are outside the run directory (an explicit `--socket`).
    let pinned: [ProcessEntry]
    /// The processes found live at start, so they are not probed again.
    let known: [ProcessEntry]
    let interval: Duration
    let discoveryInterval: Duration
    /// Sockets to probe again at the next look: their subscription ended, so they may be gone.
    private let recheck = Mutex<Set<String>>([])

    init(
        inbox: Inbox, runDirectory: RunDirectory, pinned: [ProcessEntry], known: [ProcessEntry], interval: Duration,
        discoveryInterval: Duration
    ) {
        self.inbox = inbox
        self.runDirectory = runDirectory
        self.pinned = pinned
        self.known = known
        self.interval = interval
        self.discoveryInterval = discoveryInterval
    }

    /// Runs until `.quit` or the end of `commands`.
    func run(commands: AsyncStream<DashboardCommand>) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.discover() }
            var subscription: Subscription?
            loop: for await command in commands {
                switch command {
                case .attach(let entry, let session):
                    subscription?.cancel()
                    subscription = follow(entry, session: session)
                case .shutdown(let entry, let grace):
                    group.addTask {
                        await self.request(entry, what: "shutdown") { client in
                            let s = try await client.shutdown(grace: grace, reason: "drainctl top")
                            return
                                "\(s.phase == .draining ? "draining" : s.phase.rawValue): grace \(TextFormat.duration(s.graceSeconds ?? 0)), \(s.inFlight) in flight"
                        }
                    }
                case .extend(let entry, let seconds):
                    group.addTask {
                        await self.request(entry, what: "moving the deadline") { client in
                            let s = try await client.extend(by: seconds)
                            return "deadline moved: \(TextFormat.seconds(s.secondsLeft ?? 0)) left"
                        }
                    }
                case .refreshStatuses(let entries):
                    for entry in entries {
                        group.addTask {
                            let snapshot = try? await withControlDeadline(.seconds(2)) {
                                try await ControlClient.withConnection(path: entry.path) { try await $0.status() }
                            }
                            self.inbox.push(.processStatus(entry, snapshot))
                        }
                    }
                case .quit:
                    break loop
                }
            }
            subscription?.cancel()
            group.cancelAll()
        }
    }

    /// Subscribes to `entry` on a connection read by a thread of its own (see ``Subscription``).
    private func follow(_ entry: ProcessEntry, session: Int) -> Subscription {
        Subscription(entry, session: session, interval: interval, inbox: inbox) { [self] in
            self.recheck.withLock { _ = $0.insert(entry.path) }
        }
    }

    /// One request on its own short connection, so it never interleaves with the subscription's lines.
    private func request(
        _ entry: ProcessEntry, what: String, _ body: @escaping @Sendable (ControlClient) async throws -> String
    ) async {
        do {
            let text = try await withControlDeadline(.seconds(5)) {
                try await ControlClient.withConnection(path: entry.path) { try await body($0) }
            }
            inbox.push(.commandResult(text, ok: true))
        } catch let error as ControlError {
            inbox.push(.commandResult("\(what) failed: \(error.message)", ok: false))
        } catch {
            inbox.push(.commandResult("\(what) failed: \(error)", ok: false))
        }
    }

    /// Lists the live processes of the run directory every `discoveryInterval`, reporting changes.
    ///
    /// Each socket is probed once, when it first appears (and again after its subscription ended): a
    /// probe is a connection the service sees and may log, so it must not happen every second.
    private func discover() async {
        var verdicts = Dictionary(known.map { ($0.path, true) }, uniquingKeysWith: { first, _ in first })
        var last: [ProcessEntry]? = known
        while !Task.isCancelled {
            for path in recheck.withLock({ paths in
                defer { paths.removeAll() }
                return paths
            }) {
                verdicts[path] = nil
            }
            var entries = runDirectory.entries()
            for entry in pinned where !entries.contains(entry) { entries.append(entry) }
            var live: [ProcessEntry] = []
            for entry in entries {
                let answers = verdicts[entry.path] ?? (SocketProbe.probe(path: entry.path) == .live)
                verdicts[entry.path] = answers
                if answers, FileManager.default.fileExists(atPath: entry.path) { live.append(entry) }
            }
            if live != last {
                inbox.push(.processes(live))
                last = live
            }
            try? await Task.sleep(for: discoveryInterval)
        }
    }

    /// The processes answering in `directory`, plus `pinned` ones that still answer.
    static func liveProcesses(in directory: RunDirectory, pinned: [ProcessEntry] = []) -> [ProcessEntry] {
        var entries = directory.entries()
        for entry in pinned where !entries.contains(entry) { entries.append(entry) }
        return entries.filter { SocketProbe.probe(path: $0.path) == .live }
    }
}
