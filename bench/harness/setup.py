"""What the harness needs: release binaries, the peers in a private venv, HAProxy, the echo floor."""
import os
import shutil
import subprocess
import sys
import tempfile

from .targets import SetupError

# Pinned, so two runs of the harness compare the same peers.
PEER_PACKAGES = ["gunicorn==27.0.1", "uvicorn==0.54.0"]


class Env:
    def __init__(self, bench_dir, bin_dir, vapor_bin=None):
        self.bench = bench_dir
        self.vapor_bin = vapor_bin
        self.repo = os.path.dirname(bench_dir)
        self.apps = os.path.join(bench_dir, "apps")
        self.venv = os.path.join(bench_dir, ".venv")
        self.bin_dir = bin_dir
        self.python = sys.executable
        self.haproxy = None
        # Short: Unix socket paths must fit in 107 bytes.
        self.tmp = tempfile.mkdtemp(prefix="dcb-", dir="/tmp")
        self.run_dir = os.path.join(self.tmp, "run")
        os.mkdir(self.run_dir, 0o700)
        self.child_env = dict(os.environ, DRAINCTL_RUN_DIR=self.run_dir, SWIFT_BACKTRACE="enable=no")

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def say(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def build_binaries(repo, scratch):
    """Builds drain-demo and drainctl in release mode; returns their directory."""
    # Statically linked, as operators should install it: half the start-up cost of a dynamic build.
    base = ["swift", "build", "-c", "release", "--static-swift-stdlib"] + (["--scratch-path", scratch] if scratch else [])
    for product in ("drain-demo", "drainctl"):
        say(f"building {product} (release)")
        if subprocess.run(base + ["--product", product], cwd=repo).returncode != 0:
            raise SetupError(f"swift build -c release --product {product} failed")
    return subprocess.run(base + ["--show-bin-path"], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()


def build_vapor(repo):
    """Builds the Vapor example (Integrations/DrainVapor, a package of its own) in release mode; returns it."""
    package = os.path.join(repo, "Integrations", "DrainVapor")
    base = ["swift", "build", "-c", "release", "--package-path", package]
    say("building drain-vapor-example (release; Vapor's first build takes minutes)")
    if subprocess.run(base + ["--product", "drain-vapor-example"], cwd=repo).returncode != 0:
        raise SetupError("swift build -c release --product drain-vapor-example failed")
    bin_dir = subprocess.run(base + ["--show-bin-path"], cwd=repo, capture_output=True, text=True, check=True)
    return os.path.join(bin_dir.stdout.strip(), "drain-vapor-example")


def ensure_python_peers(env):
    wanted = [os.path.join(env.venv, "bin", tool) for tool in ("gunicorn", "uvicorn")]
    if all(os.path.exists(path) for path in wanted):
        return
    say(f"installing {', '.join(PEER_PACKAGES)} into {env.venv}")
    if not os.path.exists(os.path.join(env.venv, "bin", "pip")):
        subprocess.run([sys.executable, "-m", "venv", env.venv], check=True)
    done = subprocess.run([os.path.join(env.venv, "bin", "pip"), "install", "-q"] + PEER_PACKAGES)
    if done.returncode != 0:
        raise SetupError("pip could not install the peers")


def ensure_haproxy(env):
    env.haproxy = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy") else None)
    if env.haproxy:
        return
    say("installing haproxy from Debian")
    apt = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], env=apt, check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "haproxy"], env=apt, check=True)
    env.haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"


def build_echo(env):
    """Compiles the C echo server, the socket floor of scenario 4."""
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        raise SetupError("no C compiler for the socket floor (apt-get install gcc)")
    output = os.path.join(env.tmp, "echo")
    subprocess.run([compiler, "-O2", "-o", output, os.path.join(env.apps, "echo.c")], check=True)
    return output


def build_app(env, name):
    """Compiles one of bench/apps' C helpers (`oneshot`, the whole-command floor of `drainctl status`;
    `peakrss`, which reads a command's own peak RSS) into the temporary directory."""
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        raise SetupError(f"no C compiler for bench/apps/{name}.c (apt-get install gcc)")
    output = os.path.join(env.tmp, name)
    subprocess.run([compiler, "-O2", "-o", output, os.path.join(env.apps, f"{name}.c")], check=True)
    return output


def machine():
    model = "?"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": os.uname().release,
            "python": sys.version.split()[0], "load_at_start": os.getloadavg()[0]}
