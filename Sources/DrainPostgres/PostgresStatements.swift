import Drain
import Foundation
import NIOCore
import PostgresNIO

// The journal's hot statements — append, claim, settle and the peers' wake-up — as prepared statements:
// under a fleet's load they run thousands of times a second, and parsing, analysing and planning them anew
// each time was about half of the server's time per job (BENCHMARKS.md, the fleet's profile). A prepared
// statement is parsed once per connection and, after a few runs, keeps a generic plan.
//
// Their text is fixed (postgres-nio names a prepared statement by its type), so they name the tables
// unqualified: the journal's client connects with `search_path` set to the journal's schema alone, and each
// connection resolves them there. Every other statement names its schema, as before. Constants the partial
// indexes test (`state = 'queued'`, `state = 'running'`) stay literals in the text (interpolated from
// `JobState`, never bound as parameters) so that a generic plan still uses those indexes.

/// Adds jobs to the queue; their ids in the order of the input. The wake-up of the peers follows in a
/// statement of its own (``NotifyPeers``), after the commit.
struct AppendJobs: PostgresPreparedStatement {
    static let sql = """
        INSERT INTO jobs (kind, payload, state)
        SELECT kind, payload, '\(JobState.queued)'
        FROM unnest($1::text[], $2::bytea[]) WITH ORDINALITY AS n(kind, payload, ord)
        ORDER BY ord
        RETURNING id
        """
    typealias Row = Int64

    var kinds: [String]
    var payloads: [ByteBuffer]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(kinds)
        bindings.append(payloads)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Int64.self) }
}

/// Takes up to `limit` queued jobs for `worker`: one statement, `FOR UPDATE SKIP LOCKED`, so no job runs on
/// two live workers at once.
struct ClaimJobs: PostgresPreparedStatement {
    static let sql = """
        WITH next AS (
            SELECT id FROM jobs WHERE state = '\(JobState.queued)'
            ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
        )
        UPDATE jobs AS j
        SET state = '\(JobState.running)', attempts = j.attempts + 1, started_at = clock_timestamp(), worker_id = $2
        FROM next WHERE j.id = next.id
        RETURNING j.id, j.kind, j.payload, j.attempts
        """
    typealias Row = (Int64, String, Data, Int)

    var limit: Int
    var worker: UUID

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(limit)
        bindings.append(worker)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// Records outcomes: only rows still running under `worker` change, so a job rescued after this worker
/// lost its lease, and running elsewhere now, keeps that run's outcome. Jobs given back wake the others in
/// the same statement (hand-offs are rare and latency matters there). A run cut short (requeued) leaves how
/// long it lasted in `cut_runs`: `prev` is the row as it was before this statement, since the update clears
/// its start.
struct SettleJobs: PostgresPreparedStatement {
    static let sql = """
        WITH o AS (
            SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[]) AS o(id, result, message)
        ), prev AS (
            SELECT id, started_at FROM jobs WHERE id = ANY($1::bigint[])
        ), u AS (
            UPDATE jobs AS j SET
                state = CASE WHEN o.result IN ('\(JobState.done)', '\(JobState.failed)') THEN o.result
                    ELSE '\(JobState.queued)' END,
                finished_at = CASE WHEN o.result IN ('\(JobState.done)', '\(JobState.failed)')
                    THEN clock_timestamp() END,
                started_at = CASE WHEN o.result IN ('\(JobState.done)', '\(JobState.failed)') THEN j.started_at END,
                worker_id = CASE WHEN o.result IN ('\(JobState.done)', '\(JobState.failed)') THEN j.worker_id END,
                last_error = CASE WHEN o.result = '\(JobState.failed)' THEN o.message ELSE j.last_error END,
                attempts = CASE WHEN o.result = 'released' THEN j.attempts - 1 ELSE j.attempts END
            FROM o, prev WHERE j.id = o.id AND prev.id = o.id AND j.state = '\(JobState.running)' AND j.worker_id = $4
            RETURNING o.result, j.kind,
                greatest(0, extract(epoch FROM clock_timestamp() - prev.started_at))::float8 AS seconds
        ), c AS (
            INSERT INTO cut_runs (kind, seconds)
            SELECT kind, seconds FROM u WHERE result = 'requeued' AND seconds IS NOT NULL
        )
        SELECT count(*)::bigint,
            (SELECT pg_notify($5, 'handoff') FROM u WHERE result IN ('requeued', 'released') LIMIT 1)
        FROM u
        """
    typealias Row = Int64

    var ids: [Int64]
    var results: [String]
    var messages: [String]
    var worker: UUID
    var channel: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 5)
        bindings.append(ids)
        bindings.append(results)
        bindings.append(messages)
        bindings.append(worker)
        bindings.append(channel)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Int64.self) }
}

/// Wakes the fleet's listeners: new jobs are queued.
struct NotifyPeers: PostgresPreparedStatement {
    static let sql = "SELECT pg_notify($1, 'append')"
    typealias Row = Void

    var channel: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(channel)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {}
}
