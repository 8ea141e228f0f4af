SELECT w.id::text, w.name, w.host, w.pid, w.phase, w.in_flight, w.drained,
    extract(epoch FROM w.deadline - clock_timestamp())::float8,
    extract(epoch FROM clock_timestamp() - w.heartbeat_at)::float8,
    w.lease_ms,
    extract(epoch FROM clock_timestamp() - w.dead_at)::float8,
    extract(epoch FROM clock_timestamp() - w.started_at)::float8,
    w.grace_seconds, w.drain_total, w.eta_p50_seconds, w.eta_p90_seconds, w.expected_misses,
    w.session_name IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.application_name = w.session_name)
FROM "drain".workers w
WHERE w.heartbeat_at > clock_timestamp() - make_interval(secs => 600.0)
ORDER BY w.host, w.name, w.pid\;
SELECT id, worker_id::text FROM "drain".jobs WHERE state = 'running' AND worker_id IS NOT NULL\;
SELECT count(*) FROM "drain".jobs WHERE state = 'queued'
