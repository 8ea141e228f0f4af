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
        problems = [] if target.name != "drain-demo" or seen[1] == 0 else [f"drain-demo exit {seen[1]}, want 0"]
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
        if target.name == "drain-demo":
            if any(a.get("status") != 200 for a in answers):
                problems.append(f"drain-demo in-flight answers: {facts['answers']}, want all 200")
            if late["outcome"] != "refused":
                problems.append(f"drain-demo late request: {late['outcome']}, want refused")
            if seen[1] != 0:
                problems.append(f"drain-demo exit {seen[1]}, want 0")
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
        if target.name == "drain-demo":
            if any(a.get("status") != 503 for a in answers):
                problems.append(f"drain-demo forced answers: {facts['answers']}, want all 503")
            if seen[1] != 3:
                problems.append(f"drain-demo forced exit {seen[1]}, want 3")
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


def control(env, demo, haproxy, floor_path, params):
    """4. Control round trips, all in this run: the socket floor, drain-demo status, HAProxy show info,
    and `drainctl status` as a whole command next to the cost of spawning /bin/true."""
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
        metrics["drainctl_status_ms"] = _command_ms(command, params.commands, env)
        metrics["spawn_true_ms"] = _command_ms(["/bin/true"], params.commands, env)
    finally:
        running.child.stop()
    if haproxy is not None:
        proxy = haproxy.start(grace=None)
        try:
            metrics["haproxy_show_info_fresh_us"] = us(
                probes.round_trips_fresh(proxy.control, b"show info\n", params.fresh, _show_info_ok, until_eof=True)
            )
        finally:
            proxy.child.stop()
    return {"metrics": metrics, "facts": {}, "problems": []}


def _command_ms(argv, count, env):
    times = []
    for _ in range(count):
        started = time.perf_counter()
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env.child_env)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return median(times) * 1000
