/// The journal's tables as issue 10's migrations (v1 and v2) create them, for a schema of one test.
/// Kept as DDL so the fleet tests read the tables exactly as the migrations leave them.
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
