"""Summaries over runs (median and min–max), the markdown tables with ratios, and the targets."""
from statistics import median

DEMO = "drain-demo"


def summarise(values):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    q = lambda f: values[min(len(values) - 1, int(f * (len(values) - 1) + 0.5))]
    return {"median": median(values), "min": values[0], "max": values[-1], "q1": q(0.25), "q3": q(0.75),
            "n": len(values)}


def counted(facts):
    counts = {}
    for fact in facts:
        counts[fact] = counts.get(fact, 0) + 1
    return "; ".join(f"{what} ({n}/{len(facts)})" if len(counts) > 1 else what for what, n in counts.items())


def fmt(summary, unit=""):
    if summary is None:
        return "—"
    m, lo, hi = summary["median"], summary["min"], summary["max"]
    digits = 2 if abs(m) < 10 else 1 if abs(m) < 100 else 0
    return f"{m:.{digits}f}{unit} ({lo:.{digits}f}–{hi:.{digits}f})"


def ratio(value, reference):
    if value is None or reference is None or reference["median"] <= 0:
        return "—"
    return f"×{value['median'] / reference['median']:.2f}"


def collect(results):
    """results[scenario][target] = list of run dicts → summaries and counted facts."""
    out = {}
    for scenario, by_target in results.items():
        out[scenario] = {}
        for target, runs in by_target.items():
            metrics, facts = {}, {}
            for run in runs:
                for key, value in run.get("metrics", {}).items():
                    metrics.setdefault(key, []).append(value)
                for key, value in run.get("facts", {}).items():
                    facts.setdefault(key, []).append(value)
            out[scenario][target] = {
                "metrics": {k: summarise(v) for k, v in metrics.items()},
                "facts": {k: counted(v) for k, v in facts.items()},
            }
    return out


def _row(cells):
    return "| " + " | ".join(cells) + " |"


def tables(summary):
    lines = []
    if "idle" in summary:
        s = summary["idle"]
        ref = s.get(DEMO, {}).get("metrics", {}).get("stop_to_exit_ms")
        lines += ["### 1. Idle: stop signal → process exit", "",
                  _row(["server", "stop → exit, ms median (min–max)", "vs drain-demo", "exit code"]),
                  _row(["---"] * 4)]
        for target, data in s.items():
            m = data["metrics"].get("stop_to_exit_ms")
            lines.append(_row([target, fmt(m), ratio(m, ref), data["facts"].get("exit", "—")]))
        lines.append("")
    if "in_flight" in summary:
        s = summary["in_flight"]
        demo = s.get(DEMO, {}).get("metrics", {})
        lines += ["### 2. In flight: 4 requests, stop signal during them", "",
                  _row(["server", "the 4 answers", "Connection", "new request 0.1 s after the signal",
                        "last response → exit, ms", "vs drain-demo", "stop → exit, ms", "exit code"]),
                  _row(["---"] * 8)]
        for target, data in s.items():
            m, f = data["metrics"], data["facts"]
            lines.append(_row([
                target, f.get("answers", "—"), f.get("connection", "—"), f.get("late", "—"),
                fmt(m.get("last_response_to_exit_ms")),
                ratio(m.get("last_response_to_exit_ms"), demo.get("last_response_to_exit_ms")),
                fmt(m.get("stop_to_exit_ms")), f.get("exit", "—"),
            ]))
        lines.append("")
    if "deadline" in summary:
        s = summary["deadline"]
        demo = s.get(DEMO, {}).get("metrics", {})
        lines += ["### 3. Deadline: requests longer than the grace", "",
                  _row(["server", "what the clients get", "clients told, ms after the deadline",
                        "exit, ms after the deadline", "vs drain-demo", "exit code"]),
                  _row(["---"] * 6)]
        for target, data in s.items():
            m, f = data["metrics"], data["facts"]
            lines.append(_row([
                target, f.get("answers", "—"), fmt(m.get("clients_told_after_deadline_ms")),
                fmt(m.get("exit_after_deadline_ms")),
                ratio(m.get("exit_after_deadline_ms"), demo.get("exit_after_deadline_ms")), f.get("exit", "—"),
            ]))
        lines.append("")
    if "control" in summary:
        m = summary["control"].get(DEMO, {}).get("metrics", {})
        floor_kept, floor_fresh = m.get("floor_kept_open_us"), m.get("floor_fresh_us")
        info = m.get("haproxy_show_info_fresh_us")
        lines += ["### 4. Control round trip", "",
                  _row(["measure", "median (min–max)", "vs socket floor", "vs HAProxy show info"]),
                  _row(["---"] * 4)]
        rows = [
            ("socket floor, kept-open ping-pong (C echo)", "floor_kept_open_us", " µs", floor_kept, None),
            ("socket floor, fresh connection", "floor_fresh_us", " µs", floor_fresh, None),
            ("drain-demo status, kept-open connection", "status_kept_open_us", " µs", floor_kept, None),
            ("drain-demo status, fresh connection", "status_fresh_us", " µs", floor_fresh, info),
            ("drain-demo status, kept-open, 1,000 jobs in flight", "loaded_status_kept_open_us", " µs", floor_kept, None),
            ("drain-demo status, fresh, 1,000 jobs in flight", "loaded_status_fresh_us", " µs", floor_fresh, info),
            ("HAProxy `show info`, fresh connection", "haproxy_show_info_fresh_us", " µs", floor_fresh, info),
            ("drain-vapor status, kept-open connection", "vapor_status_kept_open_us", " µs", floor_kept, None),
            ("drain-vapor status, fresh connection", "vapor_status_fresh_us", " µs", floor_fresh, info),
        ]
        for label, key, unit, floor, haproxy in rows:
            value = m.get(key)
            lines.append(_row([label, fmt(value, unit), ratio(value, floor) if floor else "—",
                               ratio(value, haproxy) if haproxy else "—"]))
        lines.append("")
        lines += ["#### Whole commands (wall time, CPU time and peak RSS of the command itself, from wait4)", "",
                  _row(["command", "wall, ms", "vs C one-shot", "CPU, ms", "peak RSS, MB"]), _row(["---"] * 5)]
        one = m.get("oneshot_status_ms")
        for label, name in [("`drainctl status`", "drainctl_status"),
                            ("C one-shot client (`bench/apps/oneshot.c`), same request", "oneshot_status"),
                            ("`/bin/true`, spawned the same way", "spawn_true")]:
            wall = m.get(f"{name}_ms")
            lines.append(_row([label, fmt(wall), ratio(wall, one), fmt(m.get(f"{name}_cpu_ms")),
                               fmt(m.get(f"{name}_max_rss_mb"))]))
        lines.append("")
    if "subscribers" in summary:
        data = summary["subscribers"].get(DEMO, {})
        m = data.get("metrics", {})
        lines += [f"### 6. Subscribers: {data.get('facts', {}).get('subscribers', '?')} at 10 Hz, the server's CPU",
                  "", _row(["measure", "median (min–max)"]), _row(["---"] * 2),
                  _row(["server CPU, % of the machine (all cores)", fmt(m.get("server_cpu_machine_pct"), " %")]),
                  _row(["server CPU, % of one core", fmt(m.get("server_cpu_core_pct"), " %")]),
                  _row(["bytes the subscribers received, MB/s", fmt(m.get("wire_mb_per_s"))]),
                  _row(["with 1,000 jobs in flight: server CPU, % of the machine",
                        fmt(m.get("loaded_server_cpu_machine_pct"), " %")]),
                  _row(["with 1,000 jobs in flight: bytes received, MB/s", fmt(m.get("loaded_wire_mb_per_s"))]),
                  _row(["v3 (what `top` reads): server CPU, % of the machine",
                        fmt(m.get("v3_server_cpu_machine_pct"), " %")]),
                  _row(["v3: bytes received, MB/s", fmt(m.get("v3_wire_mb_per_s"))]),
                  _row(["v3 with 1,000 jobs in flight: server CPU, % of the machine",
                        fmt(m.get("v3_loaded_server_cpu_machine_pct"), " %")]),
                  _row(["v3 with 1,000 jobs in flight: bytes received, MB/s",
                        fmt(m.get("v3_loaded_wire_mb_per_s"))]), ""]
    if "storm" in summary:
        data = summary["storm"].get(DEMO, {})
        m = data.get("metrics", {})
        lines += ["### 8. A storm of control clients during a drain", "",
                  _row(["measure", "no storm, ms", "1,000-client storm, ms", "storm vs no storm"]),
                  _row(["---"] * 4)]
        for label, key in [("drain's end after its last request (process exit)", "drain_end_ms"),
                           ("admitted operator's `status`, p50", "status_p50_ms"),
                           ("admitted operator's `status`, p99", "status_p99_ms"),
                           ("admitted operator's `status`, slowest", "status_max_ms")]:
            quiet, loud = m.get(f"quiet_{key}"), m.get(f"storm_{key}")
            lines.append(_row([label, fmt(quiet), fmt(loud), ratio(loud, quiet)]))
        facts = data.get("facts", {})
        lines += ["", f"Operator: {facts.get('quiet_operator', '—')} (no storm); "
                      f"{facts.get('storm_operator', '—')} (storm). Storm clients: `{facts.get('storm', '—')}`", ""]
    return "\n".join(lines)


def _peer(scenario, key):
    """HAProxy's median for the same measure in the same run (issue 11 judges exits against it)."""
    return lambda v, m, summary: (summary.get(scenario, {}).get("haproxy", {}).get("metrics", {}).get(key)
                                  or {}).get("median") is not None and v <= summary[scenario]["haproxy"]["metrics"][key]["median"]


# Issue 11's targets; each is judged on drain-demo's median against a floor or peer from the same run.
TARGETS = [
    ("status kept-open ≤ 2× the C echo floor", "control", "status_kept_open_us",
     lambda v, m, s: m.get("floor_kept_open_us") is not None and v <= 2 * m["floor_kept_open_us"]["median"]),
    ("status fresh ≤ HAProxy show info", "control", "status_fresh_us",
     lambda v, m, s: m.get("haproxy_show_info_fresh_us") is not None and v <= m["haproxy_show_info_fresh_us"]["median"]),
    ("status kept-open, 1,000 jobs in flight ≤ 2× the C echo floor", "control", "loaded_status_kept_open_us",
     lambda v, m, s: m.get("floor_kept_open_us") is not None and v <= 2 * m["floor_kept_open_us"]["median"]),
    ("status fresh, 1,000 jobs in flight ≤ HAProxy show info", "control", "loaded_status_fresh_us",
     lambda v, m, s: m.get("haproxy_show_info_fresh_us") is not None and v <= m["haproxy_show_info_fresh_us"]["median"]),
    ("`drainctl status` whole command ≤ 2× the C one-shot client", "control", "drainctl_status_ms",
     lambda v, m, s: m.get("oneshot_status_ms") is not None and v <= 2 * m["oneshot_status_ms"]["median"]),
    ("`drainctl status` peak RSS ≤ 12 MB", "control", "drainctl_status_max_rss_mb", lambda v, m, s: v <= 12),
    ("1,000 subscribers at 10 Hz < 1 % of the machine in the server", "subscribers", "server_cpu_machine_pct",
     lambda v, m, s: v < 1),
    ("1,000 subscribers at 10 Hz, 1,000 jobs in flight, < 1 % of the machine", "subscribers",
     "loaded_server_cpu_machine_pct", lambda v, m, s: v < 1),
    ("1,000 v3 subscribers (as `top`) at 10 Hz < 1 % of the machine", "subscribers", "v3_server_cpu_machine_pct",
     lambda v, m, s: v < 1),
    ("1,000 v3 subscribers at 10 Hz, 1,000 jobs in flight, < 1 % of the machine", "subscribers",
     "v3_loaded_server_cpu_machine_pct", lambda v, m, s: v < 1),
    ("storm: the drain ends ≤ 50 ms later than without it", "storm", "storm_drain_end_ms",
     lambda v, m, s: m.get("quiet_drain_end_ms") is not None and v - m["quiet_drain_end_ms"]["median"] <= 50),
    ("storm: an admitted operator's `status` p99 ≤ 50 ms", "storm", "storm_status_p99_ms", lambda v, m, s: v <= 50),
    ("idle exit ≤ HAProxy's", "idle", "stop_to_exit_ms", _peer("idle", "stop_to_exit_ms")),
    ("last response → exit ≤ HAProxy's", "in_flight", "last_response_to_exit_ms",
     _peer("in_flight", "last_response_to_exit_ms")),
    ("forced exit after the deadline ≤ HAProxy's", "deadline", "exit_after_deadline_ms",
     _peer("deadline", "exit_after_deadline_ms")),
]


def verdicts(summary, judge, top=None):
    rows = [_row(["target", "drain-demo median", "met?"]), _row(["---"] * 3)]
    for label, scenario, key, test in TARGETS:
        metrics = summary.get(scenario, {}).get(DEMO, {}).get("metrics", {})
        value = metrics.get(key)
        if value is None:
            continue
        verdict = ("met" if test(value["median"], metrics, summary) else "**missed**") if judge else "not judged (smoke)"
        rows.append(_row([label, f"{value['median']:.2f}", verdict]))
    usage = (top or {}).get("top") or {}
    if "cpu_percent" in usage and "rss_kb_max" in usage:
        for label, value, met in [("`top` at 10 Hz, 10,000 jobs in flight: RSS ≤ 14 MB", usage["rss_kb_max"] / 1024,
                                   usage["rss_kb_max"] / 1024 <= 14),
                                  ("`top` at 10 Hz, 10,000 jobs in flight: CPU ≤ 0.5 % (of one core)",
                                   usage["cpu_percent"], usage["cpu_percent"] <= 0.5)]:
            verdict = ("met" if met else "**missed**") if judge else "not judged (smoke)"
            rows.append(_row([label, f"{value:.2f}", verdict]))
    return "### Targets\n\n" + "\n".join(rows) + "\n"
