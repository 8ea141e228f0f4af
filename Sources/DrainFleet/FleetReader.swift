import DrainProtocol

/// Reads the fleet from the shared journal: one round trip of three statements per read, and one small
/// lookup when a worker has newly stopped (its drain's ID in the fleet's drain history).
///
/// The statements touch the `workers` table (a row per worker) and the `jobs` table only through its
/// partial indexes on running and queued jobs, so a read costs the same however many jobs are done. See
/// BENCHMARKS.md for its cost with 100 workers.
///
/// - Important: Not `Sendable`, like the connection it owns: use it from one task or thread.
public final class FleetReader {
    private let connection: LibpqConnection
    public let url: FleetURL
    /// Workers silent for longer than this are left out: rows of workers stopped or dead long ago.
    public var forgetAfter: Double
    /// The drain IDs found so far, by worker id: a stopped worker's drain never changes, and a worker's id
    /// is never reused, so each is looked up once for as long as the reader lives (`top`'s whole session).
    private var drainIDs: [String: Int64] = [:]
    /// How often each stopped worker without a drain ID has been looked up.
    private var drainLookups: [String: Int] = [:]
    /// How often a stopped worker is looked up before the reader stops asking: its drain is recorded as it
    /// stops, so a few reads find it; a worker that stopped without a drain (cancelled before one began)
    /// or a fleet whose schema keeps no history (before v6: the lookup fails) must not cost a statement
    /// every second for ever.
    static let drainLookupTries = 10

    /// Connects to the journal's database.
    /// - Throws: ``FleetError`` `connectFailed` with libpq's message.
    public init(url: FleetURL, forgetAfter: Double = 600) throws {
        self.url = url
        self.forgetAfter = forgetAfter
        connection = try LibpqConnection(url)
    }

    /// The fleet now.
    /// - Throws: ``FleetError`` `queryFailed`: most often the schema has no journal (no worker started).
    public func read() throws -> FleetSnapshot {
        let results: [[[String?]]]
        do {
            results = try connection.query(Self.statements(schema: url.schema, forgetAfter: forgetAfter))
        } catch let error as FleetError where error.code == .queryFailed {
            throw FleetError(
                .queryFailed,
                "cannot read the fleet in schema \(url.schema) of \(url): \(error.message) "
                    + "(has a worker with this journal started yet?)")
        }
        guard results.count == 3 else {
            throw FleetError(.queryFailed, "the fleet query gave \(results.count) results instead of 3")
        }
        var running: [Int64: String] = [:]
        var perWorker: [String: Int] = [:]
        for row in results[1] {
            guard let id = row[0].flatMap({ Int64($0) }), let worker = row[1] else { continue }
            running[id] = worker
            perWorker[worker, default: 0] += 1
        }
        let workers = results[0].compactMap { row -> FleetWorker? in
            guard let id = row[0], let name = row[1], let host = row[2], let pid = row[3].flatMap({ Int32($0) })
            else { return nil }
            return FleetWorker(
                id: id, name: name, host: host, pid: pid, phase: row[4].flatMap(DrainPhase.init(rawValue:)),
                inFlight: row[5].flatMap { Int($0) } ?? 0, drained: row[6].flatMap { Int($0) },
                secondsLeft: row[7].flatMap { Double($0) }, silence: row[8].flatMap { Double($0) } ?? 0,
                lease: (row[9].flatMap { Double($0) } ?? 0) / 1000, deadFor: row[10].flatMap { Double($0) },
                uptime: row[11].flatMap { Double($0) } ?? 0, running: perWorker[id] ?? 0, drain: Self.drain(row),
                gone: row.count > 17 && row[17] == "t")
        }
        var queued = 0
        if let cell = results[2].first?.first, let text = cell { queued = Int(text) ?? 0 }
        return FleetSnapshot(workers: nameDrains(workers), queued: queued, running: running)
    }

    /// The workers with the IDs of the drains they recorded, looked up for those newly stopped.
    ///
    /// Not part of the read's round trip: the `drains` table exists only from schema v6 on, and a statement
    /// naming it would fail the whole read of an older fleet. A failed lookup costs the row its ID, never
    /// the read.
    private func nameDrains(_ workers: [FleetWorker]) -> [FleetWorker] {
        let wanted = workers.filter {
            $0.health == .stopped && drainIDs[$0.id] == nil && drainLookups[$0.id, default: 0] < Self.drainLookupTries
        }.map(\.id)
        if !wanted.isEmpty {
            for id in wanted { drainLookups[id, default: 0] += 1 }
            if let found = try? drainIDs(of: wanted) { drainIDs.merge(found) { $1 } }
        }
        return workers.map { worker in
            var worker = worker
            worker.drainID = drainIDs[worker.id]
            return worker
        }
    }

    /// The newest drain each of `workers` (by id) recorded in the fleet's drain history.
    /// - Throws: ``FleetError`` `queryFailed`, as when the schema keeps no drain history.
    func drainIDs(of workers: [String]) throws -> [String: Int64] {
        let rows = try connection.query(
            """
            SELECT worker_id::text, max(id) FROM "\(url.schema)".drains
            WHERE worker_id = ANY($1::uuid[]) GROUP BY worker_id
            """,
            ["{" + workers.joined(separator: ",") + "}"])
        var ids: [String: Int64] = [:]
        for row in rows {
            guard let worker = row[0], let id = row[1].flatMap({ Int64($0) }) else { continue }
            ids[worker] = id
        }
        return ids
    }

    /// Columns 12 to 16 of a worker's row: its drain, nil when it wrote none (running, or an older build).
    static func drain(_ row: [String?]) -> FleetWorker.Drain? {
        guard row.count > 16 else { return nil }
        let drain = FleetWorker.Drain(
            graceSeconds: row[12].flatMap { Double($0) }, total: row[13].flatMap { Int($0) },
            etaP50Seconds: row[14].flatMap { Double($0) }, etaP90Seconds: row[15].flatMap { Double($0) },
            expectedMisses: row[16].flatMap { Double($0) })
        return drain == FleetWorker.Drain() ? nil : drain
    }

    /// The three statements of one ``read()``: the workers, the running jobs, the shared queue's count.
    ///
    /// Public so that `bench/fleet-read.sh` measures exactly these (a test checks its copy).
    public static func statements(schema: String, forgetAfter: Double) -> String {
        let schema = "\"\(schema)\""
        return """
            SELECT w.id::text, w.name, w.host, w.pid, w.phase, w.in_flight, w.drained,
                extract(epoch FROM w.deadline - clock_timestamp())::float8,
                extract(epoch FROM clock_timestamp() - w.heartbeat_at)::float8,
                w.lease_ms,
                extract(epoch FROM clock_timestamp() - w.dead_at)::float8,
                extract(epoch FROM clock_timestamp() - w.started_at)::float8,
                w.grace_seconds, w.drain_total, w.eta_p50_seconds, w.eta_p90_seconds, w.expected_misses,
                w.session_name IS NOT NULL
                    AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.application_name = w.session_name)
            FROM \(schema).workers w
            WHERE w.heartbeat_at > clock_timestamp() - make_interval(secs => \(forgetAfter))
            ORDER BY w.host, w.name, w.pid;
            SELECT id, worker_id::text FROM \(schema).jobs WHERE state = '\(JobState.running)' AND worker_id IS NOT NULL;
            SELECT count(*) FROM \(schema).jobs WHERE state = '\(JobState.queued)'
            """
    }

    /// The state and worker of each of `ids`: how the hand-off tracker learns what became of jobs that
    /// left a worker (finished, back in the queue, or taken by another).
    public func states(of ids: [Int64]) throws -> [Int64: JobState] {
        guard !ids.isEmpty else { return [:] }
        let rows = try connection.query(
            "SELECT id, state FROM \"\(url.schema)\".jobs WHERE id = ANY($1::bigint[])",
            ["{" + ids.map(String.init).joined(separator: ",") + "}"])
        var states: [Int64: JobState] = [:]
        for row in rows {
            guard let id = row[0].flatMap({ Int64($0) }), let state = row[1].flatMap(JobState.init(rawValue:)) else {
                continue
            }
            states[id] = state
        }
        return states
    }
}
