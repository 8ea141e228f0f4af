"""The servers under test: drain-demo in HTTP mode and its peers, all serving GET /sleep?ms=N."""
import os
import signal
import socket
import time

from . import probes
from .procs import Child


class SetupError(Exception):
    pass


def free_port():
    # Bound and released: a small race with other programs, acceptable on a benchmark machine.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Running:
    """One started server: its process, HTTP port, graceful stop signal and control socket, if any."""

    def __init__(self, target, child, port, stop_signal, control=None):
        self.target = target
        self.child = child
        self.port = port
        self.stop_signal = stop_signal
        self.control = control


class Target:
    name = "?"
    stop_signal = signal.SIGTERM

    def __init__(self, env):
        self.env = env

    def start(self, grace):
        """Starts a fresh server with this grace (seconds, None: as long as it takes) and waits until it serves."""
        port = free_port()
        child = Child(self.name, self.argv(port, grace), self.env.tmp, env=self.env.child_env)
        running = Running(self, child, port, self.stop_signal)
        self.ready(running)
        return running

    def ready(self, running):
        if not probes.wait_http(running.port):
            output = running.child.output()
            running.child.stop()
            raise SetupError(f"{self.name} did not serve HTTP on {running.port}:\n{output[-2000:]}")


class DrainDemo(Target):
    name = "drain-demo"

    def start(self, grace, extra=()):
        tag = f"{os.getpid()}-{time.monotonic_ns()}"
        port_file = os.path.join(self.env.tmp, f"port-{tag}")
        argv = [
            os.path.join(self.env.bin_dir, "drain-demo"), "--name", "bench", "--http", "127.0.0.1:0",
            "--http-port-file", port_file, "--run-dir", self.env.run_dir,
            "--journal", os.path.join(self.env.tmp, f"journal-{tag}.sqlite"),
            "--grace", str(grace if grace is not None else 3600), "--log-level", "warning", *extra,
        ]
        child = Child(self.name, argv, self.env.tmp, env=self.env.child_env)
        deadline = time.monotonic() + 30
        while not os.path.exists(port_file):
            if not child.running() or time.monotonic() > deadline:
                child.stop()
                raise SetupError(f"drain-demo did not write its HTTP port:\n{child.output()[-2000:]}")
            time.sleep(0.005)
        with open(port_file) as handle:
            port = int(handle.read().strip())
        control = os.path.join(self.env.run_dir, f"bench.{child.pid}.sock")
        running = Running(self, child, port, signal.SIGTERM, control=control)
        self.ready(running)
        return running


class DrainVapor(Target):
    """The Vapor 4 example of Integrations/DrainVapor: the same pool and control socket as drain-demo, its HTTP
    served by Vapor, its shutdown by DrainingApplication."""

    name = "drain-vapor"

    def start(self, grace):
        if not self.env.vapor_bin or not os.access(self.env.vapor_bin, os.X_OK):
            raise SetupError(f"no drain-vapor-example at {self.env.vapor_bin} (--vapor-bin)")
        tag = f"{os.getpid()}-{time.monotonic_ns()}"
        port_file = os.path.join(self.env.tmp, f"vport-{tag}")
        argv = [
            self.env.vapor_bin, "--name", "bench-vapor", "--port", "0", "--port-file", port_file,
            "--run-dir", self.env.run_dir, "--journal", os.path.join(self.env.tmp, f"vjournal-{tag}.sqlite"),
            "--grace", str(grace if grace is not None else 3600),
        ]
        child = Child(self.name, argv, self.env.tmp, env=self.env.child_env)
        deadline = time.monotonic() + 30
        while not os.path.exists(port_file):
            if not child.running() or time.monotonic() > deadline:
                child.stop()
                raise SetupError(f"drain-vapor-example did not write its port:\n{child.output()[-2000:]}")
            time.sleep(0.005)
        with open(port_file) as handle:
            port = int(handle.read().strip())
        control = os.path.join(self.env.run_dir, f"bench-vapor.{child.pid}.sock")
        running = Running(self, child, port, signal.SIGTERM, control=control)
        self.ready(running)
        return running


class GunicornSync(Target):
    name = "gunicorn-sync"

    def argv(self, port, grace):
        # Four sync workers: each serves one request at a time, so four requests need four workers.
        return [
            os.path.join(self.env.venv, "bin", "gunicorn"), "--chdir", self.env.apps, "-b", f"127.0.0.1:{port}",
            "-k", "sync", "-w", "4", "--graceful-timeout", str(grace if grace is not None else 3600),
            "--timeout", "120", "--log-level", "warning", "sleepapp:wsgi",
        ]


class GunicornThreads(Target):
    name = "gunicorn-gthread"

    def argv(self, port, grace):
        return [
            os.path.join(self.env.venv, "bin", "gunicorn"), "--chdir", self.env.apps, "-b", f"127.0.0.1:{port}",
            "-k", "gthread", "-w", "1", "--threads", "8",
            "--graceful-timeout", str(grace if grace is not None else 3600),
            "--timeout", "120", "--log-level", "warning", "sleepapp:wsgi",
        ]


class Uvicorn(Target):
    name = "uvicorn"

    def argv(self, port, grace):
        argv = [
            os.path.join(self.env.venv, "bin", "uvicorn"), "--app-dir", self.env.apps, "--host", "127.0.0.1",
            "--port", str(port), "--log-level", "warning", "--no-access-log",
        ]
        if grace is not None:
            argv += ["--timeout-graceful-shutdown", str(grace)]
        return argv + ["sleepapp:asgi"]


class HAProxy(Target):
    """HAProxy in front of a threaded Python backend; SIGUSR1 is its soft stop, hard-stop-after the grace."""

    name = "haproxy"
    stop_signal = signal.SIGUSR1

    def __init__(self, env):
        super().__init__(env)
        self.backend = None

    def start(self, grace):
        if self.backend is None or not self.backend.child.running():
            port = free_port()
            backend = Child("haproxy-backend", [self.env.python, os.path.join(self.env.apps, "sleepapp.py"), str(port)],
                            self.env.tmp)
            self.backend = Running(self, backend, port, signal.SIGTERM)
            Target.ready(self, self.backend)
        port = free_port()
        tag = f"{os.getpid()}-{time.monotonic_ns()}"
        stats = os.path.join(self.env.tmp, f"haproxy-{tag}.sock")
        config = os.path.join(self.env.tmp, f"haproxy-{tag}.cfg")
        hard_stop = f"{int((grace if grace is not None else 3600) * 1000)}ms"
        with open(config, "w") as handle:
            handle.write(f"""global
    stats socket {stats} mode 600 level admin
    hard-stop-after {hard_stop}
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
frontend web
    bind 127.0.0.1:{port}
    default_backend app
backend app
    server app1 127.0.0.1:{self.backend.port}
""")
        child = Child(self.name, [self.env.haproxy, "-db", "-f", config], self.env.tmp)
        running = Running(self, child, port, signal.SIGUSR1, control=stats)
        self.ready(running)
        return running

    def close(self):
        if self.backend is not None:
            self.backend.child.stop()



PEERS = {t.name: t for t in (DrainDemo, DrainVapor, GunicornSync, GunicornThreads, Uvicorn, HAProxy)}
# The servers that must keep drainctl's contract (all 200 in scenario 2, the late request refused, exit 0;
# all 503 and exit 3 in scenario 3); the peers are measured, not judged.
CONTRACT = ("drain-demo", "drain-vapor")
