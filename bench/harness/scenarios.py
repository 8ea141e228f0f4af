"""Scenarios 1–4 of issue 5, one run each; every function returns metrics, facts and problems.

- metrics: numbers in milliseconds (or microseconds where named), summarised over runs;
- facts: what happened, as short strings (exit codes, what a client got), counted over runs;
- problems: a broken scenario, or drain-demo breaking its own contract; any problem fails the harness.
"""
import json
import os
import subprocess
import time
from statistics import median

from . import probes
from .targets import CONTRACT


class Params:
    def __init__(self, smoke):
        self.smoke = smoke
        self.idle_settle = 0.1 if smoke else 0.3
        self.request_ms = 600 if smoke else 2000
        self.signal_at = 0.2 if smoke else 0.5
        self.late_after = 0.1
        self.long_ms = 3000 if smoke else 10000
        # Whole seconds: gunicorn and uvicorn take only integers.
        self.grace = 1 if smoke else 2
        self.clients = 4
        self.kept_open = 5 if smoke else 300
        self.fresh = 5 if smoke else 100
        self.commands = 2 if smoke else 30
        self.subscribers = 20 if smoke else 1000
        self.subscriber_seconds = 1.0 if smoke else 5.0
        # Scenario 8: the storm, and the drain it must not delay (requests of 1.5 s, stop 0.5 s in).
        self.storm_clients = 60 if smoke else 1000
        self.storm_settle = 0.2 if smoke else 1.0
        self.storm_request_ms = 600 if smoke else 1500

    def as_dict(self):
        return {k: v for k, v in vars(self).items()}


def _sleep_until(moment):
    time.sleep(max(0.0, moment - time.monotonic()))


def _answer(result):
    if result.get("status"):
        return str(result["status"])
    return result["outcome"]


def _summary(answers):
    counts = {}
    for answer in answers:
        counts[_answer(answer)] = counts.get(_answer(answer), 0) + 1
    return ", ".join(f"{n}× {what}" for what, n in sorted(counts.items()))


def idle(target, params):
    """1. Idle: the stop signal → the process has exited."""
    running = target.start(grace=None)
    try:
        time.sleep(params.idle_settle)
        running.child.watch_exit(60)
        sent = running.child.signal(running.stop_signal)
        seen = running.child.exit_seen()
        if seen is None:
            return {"problems": [f"{target.name} did not exit within 60 s of an idle stop"]}
        problems = [] if target.name not in CONTRACT or seen[1] == 0 else [f"{target.name} exit {seen[1]}, want 0"]
        return {"metrics": {"stop_to_exit_ms": (seen[0] - sent) * 1000}, "facts": {"exit": str(seen[1])},
                "problems": problems}
    finally:
        running.child.stop()


def in_flight(target, params):
    """2. In flight: 4 requests, the stop signal during them; a new request 0.1 s after it."""
    running = target.start(grace=None)
    try:
        path = f"/sleep?ms={params.request_ms}"
        clients = probes.Clients(running.port, [path] * params.clients, timeout=60)
        _sleep_until(clients.sent + params.signal_at)
        running.child.watch_exit(60)
        sent = running.child.signal(running.stop_signal)
        _sleep_until(sent + params.late_after)
        late = probes.late_request(running.port, timeout=30)
        answers = clients.join(60)
        seen = running.child.exit_seen()
        if seen is None:
            return {"problems": [f"{target.name} did not exit within 60 s after the in-flight requests"]}
        answered = [a["at"] for a in answers if a["outcome"] == "http"]
        metrics = {"stop_to_exit_ms": (seen[0] - sent) * 1000, "late_connect_ms": late["connect_ms"]}
        if answered:
            metrics["last_response_to_exit_ms"] = (seen[0] - max(answered)) * 1000
        facts = {
            "answers": _summary(answers),
            "connection": ", ".join(sorted({a.get("connection") or "-" for a in answers if a["outcome"] == "http"})),
            "late": late["outcome"], "exit": str(seen[1]),
        }
        problems = []
        if target.name in CONTRACT:
            if any(a.get("status") != 200 for a in answers):
                problems.append(f"{target.name} in-flight answers: {facts['answers']}, want all 200")
            if late["outcome"] != "refused":
                problems.append(f"{target.name} late request: {late['outcome']}, want refused")
            if seen[1] != 0:
                problems.append(f"{target.name} exit {seen[1]}, want 0")
        return {"metrics": metrics, "facts": facts, "problems": problems}
    finally:
        running.child.stop()


def deadline(target, params):
    """3. Deadline: requests longer than the grace; how late after the deadline clients learn and the process exits."""
    running = target.start(grace=params.grace)
    try:
        clients = probes.Clients(running.port, [f"/sleep?ms={params.long_ms}"] * params.clients, timeout=60)
        _sleep_until(clients.sent + params.signal_at)
        running.child.watch_exit(60)
        sent = running.child.signal(running.stop_signal)
        due = sent + params.grace
        answers = clients.join(60)
        seen = running.child.exit_seen()
        if seen is None:
            return {"problems": [f"{target.name} did not exit within 60 s of a forced drain"]}
        metrics = {
            "exit_after_deadline_ms": (seen[0] - due) * 1000,
            "clients_told_after_deadline_ms": (max(a["at"] for a in answers) - due) * 1000,
        }
        facts = {"answers": _summary(answers), "exit": str(seen[1])}
        problems = []
        if target.name in CONTRACT:
            if any(a.get("status") != 503 for a in answers):
                problems.append(f"{target.name} forced answers: {facts['answers']}, want all 503")
            if seen[1] != 3:
                problems.append(f"{target.name} forced exit {seen[1]}, want 3")
        return {"metrics": metrics, "facts": facts, "problems": problems}
    finally:
        running.child.stop()


def _status_ok(line):
    reply = json.loads(line)
    if reply.get("ok") is not True or "snapshot" not in reply:
        raise AssertionError(f"status reply is not a result: {line[:200]!r}")


def _show_info_ok(reply):
    if b"Name: HAProxy" not in reply:
        raise AssertionError(f"show info reply: {reply[:200]!r}")


def _echo_ok(expected):
    def check(line):
        if line + b"\n" != expected:
            raise AssertionError(f"echo returned {line[:80]!r}")
    return check


def control(env, demo, haproxy, floor_path, params, vapor=None):
    """4. Control round trips, all in this run: the socket floor, drain-demo status, HAProxy show info,
    `drainctl status` as a whole command next to the cost of spawning /bin/true, and the Vapor example's
    status (the same control server, beside Vapor's event loops)."""
    request = b'{"op":"status"}\n'
    metrics = {}

    def us(times):
        return median(times) * 1e6

    metrics["floor_kept_open_us"] = us(probes.round_trips_kept_open(floor_path, request, params.kept_open, _echo_ok(request)))
    metrics["floor_fresh_us"] = us(probes.round_trips_fresh(floor_path, request, params.fresh, _echo_ok(request)))
    running = demo.start(grace=None)
    try:
        metrics["status_kept_open_us"] = us(probes.round_trips_kept_open(running.control, request, params.kept_open, _status_ok))
        metrics["status_fresh_us"] = us(probes.round_trips_fresh(running.control, request, params.fresh, _status_ok))
        command = [os.path.join(env.bin_dir, "drainctl"), "status", "--socket", running.control]
        for name, argv in [("drainctl_status", command),
                           ("oneshot_status", [env.oneshot, running.control, '{"op":"status"}']),
                           ("spawn_true", ["/bin/true"])]:
            wall, cpu, rss = _command_stats(argv, params.commands, env)
            metrics[f"{name}_ms"] = wall
            metrics[f"{name}_cpu_ms"] = cpu
            metrics[f"{name}_max_rss_mb"] = rss
    finally:
        running.child.stop()
    # The same round trips with HELD jobs in flight (issue 18): the reply must cost what it costs idle.
    loaded = demo.start(grace=None, extra=("--hold", str(HELD_JOBS)))
    try:
        _wait_in_flight(loaded.control, HELD_JOBS)
        metrics["loaded_status_kept_open_us"] = us(
            probes.round_trips_kept_open(loaded.control, request, params.kept_open, _status_ok))
        metrics["loaded_status_fresh_us"] = us(probes.round_trips_fresh(loaded.control, request, params.fresh, _status_ok))
    finally:
        loaded.child.stop()
    if haproxy is not None:
        proxy = haproxy.start(grace=None)
        try:
            metrics["haproxy_show_info_fresh_us"] = us(
                probes.round_trips_fresh(proxy.control, b"show info\n", params.fresh, _show_info_ok, until_eof=True)
            )
        finally:
            proxy.child.stop()
    if vapor is not None:
        app = vapor.start(grace=None)
        try:
            metrics["vapor_status_kept_open_us"] = us(
                probes.round_trips_kept_open(app.control, request, params.kept_open, _status_ok))
            metrics["vapor_status_fresh_us"] = us(probes.round_trips_fresh(app.control, request, params.fresh, _status_ok))
        finally:
            app.child.stop()
    return {"metrics": metrics, "facts": {}, "problems": []}


def _command_stats(argv, count, env):
    """Median wall time (ms), CPU time (user + system, ms) and peak RSS (MB) of `argv` run `count` times.

    Wall and CPU come from running it directly (CPU from wait4: that child's own); the peak RSS from
    running it under bench/apps/peakrss.c, because a child of Python inherits Python's high-water mark."""
    walls, cpus, peaks = [], [], []
    for _ in range(count):
        started = time.perf_counter()
        child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env.child_env)
        _, status, usage = os.wait4(child.pid, 0)
        walls.append(time.perf_counter() - started)
        error = child.stderr.read()
        child.stderr.close()
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} exited {child.returncode}: {error.decode()[-500:]}")
        cpus.append(usage.ru_utime + usage.ru_stime)
        measured = subprocess.run([env.peakrss] + argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  env=env.child_env)
        last = measured.stderr.decode().strip().splitlines()[-1:]
        if measured.returncode != 0 or not last or not last[0].startswith("peakrss "):
            raise AssertionError(f"peakrss {' '.join(argv)} failed: {measured.stderr.decode()[-500:]}")
        peaks.append(int(last[0].split()[1]) / 1024)
    return median(walls) * 1000, median(cpus) * 1000, median(peaks)


# Jobs held in flight for the loaded control and subscriber measurements (issue 18).
HELD_JOBS = 1000


def _wait_in_flight(path, jobs, timeout=60):
    """Waits until drain-demo's `status` shows `jobs` jobs in flight (its held jobs all started)."""
    deadline = time.monotonic() + timeout
    while True:
        sock = probes.unix_connect(path)
        try:
            sock.sendall(b'{"op":"status"}\n')
            line, _ = probes.read_line(sock)
        finally:
            sock.close()
        if json.loads(line)["snapshot"]["in_flight_jobs"] >= jobs:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"drain-demo did not reach {jobs} jobs in flight: {line[:200]!r}")
        time.sleep(0.1)


def subscribers(env, demo, params):
    """The server's CPU while `params.subscribers` clients each hold a 10 Hz subscription, as a share of
    the whole machine (all cores), from the server's /proc utime + stime over the measuring window; idle,
    then with HELD_JOBS jobs in flight (keys prefixed `loaded_`). Subscribed in protocol v1 (full snapshots
    with their events, what the oldest clients read) and in v3 (compact rows, what `top` reads; keys
    prefixed `v3_`)."""
    outcome = _subscribers(env, demo, params, held=0)
    for prefix, held, version in (("loaded_", HELD_JOBS, 1), ("v3_", 0, 3), ("v3_loaded_", HELD_JOBS, 3)):
        run = _subscribers(env, demo, params, held=held, version=version)
        outcome["metrics"].update({f"{prefix}{key}": value for key, value in run["metrics"].items()})
    return outcome


def _subscribers(env, demo, params, held, version=1):
    import selectors
    import socket as sockets

    # The default limit is 64 connections; this scenario is about many more.
    extra = ("--max-clients", str(params.subscribers + 16)) + (("--hold", str(held)) if held else ())
    running = demo.start(grace=None, extra=extra)
    if held:
        _wait_in_flight(running.control, held)
    connections = []
    selector = selectors.DefaultSelector()
    try:
        for _ in range(params.subscribers):
            connection = sockets.socket(sockets.AF_UNIX, sockets.SOCK_STREAM)
            connection.connect(running.control)
            connection.sendall(b'{"op":"subscribe","interval_ms":100,"v":%d}\n' % version)
            connection.setblocking(False)
            selector.register(connection, selectors.EVENT_READ)
            connections.append(connection)
        received = 0

        def pump(seconds):
            nonlocal received
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                for key, _ in selector.select(timeout=0.05):
                    try:
                        data = key.fileobj.recv(1 << 20)
                    except BlockingIOError:
                        continue
                    if not data:
                        raise AssertionError("the server closed a subscription during the measurement")
                    received += len(data)

        pump(1.0)  # every subscriber past its first snapshot
        received = 0
        ticks = os.sysconf("SC_CLK_TCK")
        before, started = _cpu_ticks(running.child.pid), time.monotonic()
        pump(params.subscriber_seconds)
        spent, elapsed = (_cpu_ticks(running.child.pid) - before) / ticks, time.monotonic() - started
        metrics = {
            "server_cpu_machine_pct": 100 * spent / (elapsed * os.cpu_count()),
            "server_cpu_core_pct": 100 * spent / elapsed,
            "wire_mb_per_s": received / elapsed / 1e6,
        }
        return {"metrics": metrics, "facts": {"subscribers": str(params.subscribers)}, "problems": []}
    finally:
        for connection in connections:
            selector.unregister(connection)
            connection.close()
        running.child.stop()


def _cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _operator(path, until):
    """An operator's connection, admitted (answered) before anything else starts: `status` every 50 ms,
    each round trip timed, until `until()` says stop or the server ends the connection. Returns the round
    trips (seconds), the last line the server sent and how the connection ended."""
    import threading

    sock = probes.unix_connect(path)
    sock.sendall(b'{"op":"hello"}\n')
    _, rest = probes.read_line(sock)
    state = {"times": [], "started": [], "ended": "open", "last": None}

    def loop():
        buffer = rest
        try:
            while not until():
                started = time.perf_counter()
                sock.sendall(b'{"op":"status"}\n')
                line, buffer = probes.read_line(sock, buffer)
                reply = json.loads(line)
                if reply.get("type") != "result":
                    state["last"] = line.decode(errors="replace")[:200]
                    break
                if reply.get("snapshot", {}).get("phase") == "stopped":
                    break
                state["times"].append(time.perf_counter() - started)
                state["started"].append(time.monotonic())
                time.sleep(0.05)
            state["ended"] = "stopped asking"
        except (ConnectionError, OSError) as error:
            state["ended"] = f"{type(error).__name__}: {error}"
            state["ended_at"] = time.monotonic()
        finally:
            sock.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread, state


def storm(env, demo, params):
    """8. A storm of `params.storm_clients` control clients (status storms, stalled subscribers, holders;
    bench/apps/storm.py, its own process) against a draining drain-demo, and the same drain without it:
    how long after its last request is answered the process exits, and an admitted operator's `status`
    round trips meanwhile. Both runs in the same call, so the ratio compares one machine state."""
    metrics, facts, problems = {}, {}, []
    for mode in ("quiet", "storm"):
        running = demo.start(grace=None)
        storm_child = None
        try:
            done = []
            operator, seen_by_operator = _operator(running.control, lambda: bool(done))
            if mode == "storm":
                storm_child = subprocess.Popen(
                    [env.python, os.path.join(env.apps, "storm.py"),
                     running.control, str(params.storm_clients)],
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
                if storm_child.stdout.readline().strip() != "ready":
                    raise AssertionError("the storm did not start")
                time.sleep(params.storm_settle)
            clients = probes.Clients(running.port, [f"/sleep?ms={params.storm_request_ms}"] * params.clients,
                                     timeout=60)
            _sleep_until(clients.sent + params.signal_at)
            running.child.watch_exit(60)
            signalled = time.monotonic()
            running.child.signal(running.stop_signal)
            answers = clients.join(60)
            seen = running.child.exit_seen()
            done.append(True)
            operator.join(10)
            if seen is None:
                problems.append(f"drain-demo did not exit within 60 s ({mode})")
                continue
            answered = [a["at"] for a in answers if a["outcome"] == "http"]
            if len(answered) != len(answers):
                problems.append(f"{mode}: the requests got {_summary(answers)}, want all 200")
            else:
                metrics[f"{mode}_drain_end_ms"] = (seen[0] - max(answered)) * 1000
            times = sorted(seen_by_operator["times"])
            if times:
                metrics[f"{mode}_status_p50_ms"] = median(times) * 1000
                metrics[f"{mode}_status_p99_ms"] = times[min(len(times) - 1, int(0.99 * len(times)))] * 1000
                metrics[f"{mode}_status_max_ms"] = times[-1] * 1000
            facts[f"{mode}_operator"] = f"{len(times)} status, {seen_by_operator['ended']}"
            if times:
                # When the slowest round trip began, against the signal: at the storm's start, during the
                # drain, or as the process closes its connections.
                slowest = max(range(len(times)), key=seen_by_operator["times"].__getitem__)
                began = seen_by_operator["started"][slowest] - seen_by_operator["times"][slowest] - signalled
                facts[f"{mode}_slowest_began"] = f"{began:+.3f} s from the signal"
            # After the last request was answered the process is on its way out, and closing is its right.
            ended_early = seen_by_operator.get("ended_at", 0) < max(answered, default=0)
            if seen_by_operator["ended"] != "stopped asking" and "server_stopping" not in str(
                    seen_by_operator["last"]) and ended_early:
                problems.append(f"{mode}: the operator's connection ended: {seen_by_operator['ended']} "
                                f"(last line {seen_by_operator['last']})")
        finally:
            if storm_child is not None:
                storm_child.terminate()
                try:
                    out, _ = storm_child.communicate(timeout=10)
                    facts["storm"] = (out.strip().splitlines() or ["?"])[-1]
                except subprocess.TimeoutExpired:
                    storm_child.kill()
            running.child.stop()
    return {"metrics": metrics, "facts": facts, "problems": problems}
