-- The shared journal's tables as migrations v1, v2, v4 and v5 create them (Sources/DrainPostgres),
-- filled like a fleet of 100 workers: 90 running, 5 draining, 5 silent, 10 jobs running on each, a
-- queue of 5,000 and a history of 200,000 finished jobs.
CREATE SCHEMA drain;
CREATE TABLE drain.jobs (
    id bigserial PRIMARY KEY, kind text NOT NULL, payload bytea NOT NULL,
    state text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts integer NOT NULL DEFAULT 0, enqueued_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz, finished_at timestamptz, worker_id uuid, last_error text,
    rescues integer NOT NULL DEFAULT 0);
CREATE INDEX jobs_queued ON drain.jobs (id) WHERE state = 'queued';
CREATE INDEX jobs_running ON drain.jobs (worker_id) WHERE state = 'running';
CREATE TABLE drain.workers (
    id uuid PRIMARY KEY, name text NOT NULL, host text NOT NULL, pid integer NOT NULL,
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    heartbeat_at timestamptz NOT NULL DEFAULT clock_timestamp(), lease_ms integer NOT NULL,
    phase text NOT NULL, in_flight integer NOT NULL DEFAULT 0, deadline timestamptz, drained integer,
    dead_at timestamptz, grace_seconds float8, drain_total integer, eta_p50_seconds float8,
    eta_p90_seconds float8, expected_misses float8, session_name text);
INSERT INTO drain.workers (id, name, host, pid, lease_ms, phase, in_flight, deadline, drained, heartbeat_at,
    grace_seconds, drain_total, eta_p50_seconds, eta_p90_seconds, expected_misses)
SELECT md5(n::text)::uuid, 'web-' || n, 'host-' || (n % 25), 1000 + n, 5000,
    CASE WHEN n <= 5 THEN 'draining' ELSE 'running' END, 10,
    CASE WHEN n <= 5 THEN clock_timestamp() + interval '20 seconds' END, CASE WHEN n <= 5 THEN 3 END,
    clock_timestamp() - CASE WHEN n > 95 THEN interval '4 seconds' ELSE interval '0' END,
    CASE WHEN n <= 5 THEN 30 END, CASE WHEN n <= 5 THEN 13 END, CASE WHEN n <= 5 THEN 4.2 END,
    CASE WHEN n <= 5 THEN 11.5 END, CASE WHEN n <= 5 THEN 0.4 END
FROM generate_series(1, 100) n;
INSERT INTO drain.jobs (kind, payload, state, worker_id, finished_at)
SELECT 'email.send', '\x00', 'done', NULL, now() FROM generate_series(1, 200000);
INSERT INTO drain.jobs (kind, payload, state, worker_id)
SELECT 'email.send', '\x00', 'queued', NULL FROM generate_series(1, 5000);
INSERT INTO drain.jobs (kind, payload, state, worker_id, started_at)
SELECT 'report.export', '\x00', 'running', md5((1 + n % 100)::text)::uuid, now() FROM generate_series(1, 1000) n;
ANALYZE;
