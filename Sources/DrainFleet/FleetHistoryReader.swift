import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Reads the fleet's drain history from the shared journal's `drains` table, through the fleet's libpq
/// connection: `drainctl report --postgres URL`, the PostgreSQL twin of `DrainHistory`'s
/// `SQLiteHistoryReader`. Read-only.
///
/// - Important: Not `Sendable`, like the connection it owns: use it from one task or thread.
public final class FleetHistoryReader {
    private let connection: LibpqConnection
    public let url: FleetURL

    /// Connects to the journal's database.
    /// - Throws: ``FleetError`` `connectFailed` with libpq's message, `libpqMissing`.
    public init(url: FleetURL) throws {
        self.url = url
        connection = try LibpqConnection(url)
    }

    private var drains: String { "\"\(url.schema)\".drains" }

    /// The fleet's newest drains, every worker's, newest first.
    /// - Throws: ``FleetError``: `queryFailed` when the schema keeps no history.
    public func recent(limit: Int) throws -> [DrainHistoryEntry] {
        try entries(
            "SELECT id, host, worker, report, worker_id::text, pid FROM \(drains) ORDER BY id DESC LIMIT $1",
            [String(max(0, limit))]
        ).map(\.entry)
    }

    /// One drain; `nil` for the newest.
    /// - Throws: ``FleetError`` `notFound` when it is not kept.
    public func drain(id: Int64?) throws -> DrainHistoryEntry {
        let found =
            if let id {
                try entries(
                    "SELECT id, host, worker, report, worker_id::text, pid FROM \(drains) WHERE id = $1", [String(id)]
                ).map(\.entry)
            } else {
                try recent(limit: 1)
            }
        guard let entry = found.first else {
            let what =
                id.map { "no drain \($0) in the fleet \(url.schema) of \(url)" }
                ?? "no drain kept yet in the fleet \(url.schema) of \(url)"
            throw FleetError(.notFound, what + " (`drainctl report --postgres URL` lists those kept)")
        }
        return entry
    }

    /// The deploy of the last `seconds`: every drain that stopped in the window (by the database's clock),
    /// and where the jobs they requeued went.
    /// - Throws: ``FleetError``.
    public func deploy(lastSeconds seconds: Double) throws -> FleetDeploy {
        let rows = try entries(
            """
            SELECT id, host, worker, report, worker_id::text, pid FROM \(drains)
            WHERE stopped_at >= clock_timestamp() - make_interval(secs => $1::float8) ORDER BY id
            """, [String(seconds)])
        let requeued = Set(rows.flatMap { $0.entry.report.jobs.filter(\.requeued).map(\.id) })
        var jobs: [JobID: FleetDeploy.JobRow] = [:]
        if !requeued.isEmpty {
            // The worker that claimed a job last, named by its row in `workers`, else (deleted after the
            // workers' retention) by a drain of its own.
            let found = try query(
                """
                SELECT j.id, j.state, j.worker_id::text, extract(epoch FROM j.started_at)::float8,
                    coalesce(w.name, d.worker), coalesce(w.host, d.host), coalesce(w.pid, d.pid)
                FROM "\(url.schema)".jobs j
                LEFT JOIN "\(url.schema)".workers w ON w.id = j.worker_id
                LEFT JOIN LATERAL (
                    SELECT worker, host, pid FROM \(drains) WHERE worker_id = j.worker_id ORDER BY id DESC LIMIT 1
                ) d ON true
                WHERE j.id = ANY($1::bigint[])
                """, ["{" + requeued.sorted().map(String.init).joined(separator: ",") + "}"])
            for row in found {
                guard row.count >= 7, let id = row[0].flatMap({ JobID($0) }),
                    let state = row[1].flatMap(JobState.init(rawValue:))
                else { continue }
                var worker: FleetDeploy.Worker?
                if let workerID = row[2] {
                    worker = FleetDeploy.Worker(
                        id: workerID, name: row[4] ?? String(workerID.prefix(8)), host: row[5] ?? "",
                        pid: row[6].flatMap { Int32($0) } ?? 0)
                }
                jobs[id] = FleetDeploy.JobRow(
                    state: state, worker: worker,
                    startedAt: row[3].flatMap { Double($0) }.map { Date(timeIntervalSince1970: $0) })
            }
        }
        let drains = rows.map { row in
            (
                drain: FleetDeploy.Drain(entry: row.entry, worker: row.worker.id),
                worker: row.worker
            )
        }
        return FleetDeploy(fleet: url.schema, drains: drains, jobs: jobs)
    }

    private func entries(
        _ sql: String, _ parameters: [String]
    ) throws -> [(entry: DrainHistoryEntry, worker: FleetDeploy.Worker)] {
        try query(sql, parameters).map { row in
            guard row.count >= 6, let id = row[0].flatMap({ Int64($0) }), let json = row[3] else {
                throw FleetError(.queryFailed, "a drain row of the fleet \(url.schema) cannot be read")
            }
            var report: ShutdownReport
            do {
                report = try JSONDecoder.drain.decode(ShutdownReport.self, from: Data(json.utf8))
                // Written before the ID was given: the history names it.
                report.historyID = id
            } catch {
                throw FleetError(.queryFailed, "drain \(id) of the fleet \(url.schema) cannot be read: \(error)")
            }
            let entry = DrainHistoryEntry(id: id, host: row[1], worker: row[2], fleet: url.schema, report: report)
            let worker = FleetDeploy.Worker(
                id: row[4] ?? "", name: row[2] ?? report.name, host: row[1] ?? "",
                pid: row[5].flatMap { Int32($0) } ?? report.pid)
            return (entry, worker)
        }
    }

    private func query(_ sql: String, _ parameters: [String]) throws -> [[String?]] {
        do {
            return try connection.query(sql, parameters)
        } catch let error as FleetError where error.code == .queryFailed {
            throw FleetError(
                .queryFailed,
                "cannot read the drain history of the fleet \(url.schema) of \(url): \(error.message) "
                    + "(has a worker of this build started with this journal yet?)")
        }
    }
}

extension FleetError.Code {
    /// No drain with that ID is kept in the fleet's history (never recorded, or pruned by the retention).
    public static let notFound = FleetError.Code(rawValue: "not_found")
}
