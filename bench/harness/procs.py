"""Child processes the harness starts: each is stopped by its pid, also on errors and Ctrl-C."""
import os
import select
import signal
import subprocess
import threading
import time

_live = {}


class Child:
    """A started process with its output in a log file (a pipe nobody reads could block it)."""

    def __init__(self, name, argv, log_dir, env=None, cwd=None):
        self.name = name
        self.log_path = os.path.join(log_dir, f"{name}.{time.monotonic_ns()}.log")
        self._log = open(self.log_path, "wb")
        # Its own session, so a terminal's Ctrl-C reaches only the harness, which then stops it by pid.
        self.popen = subprocess.Popen(
            argv, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, cwd=cwd, start_new_session=True,
        )
        self.pid = self.popen.pid
        self._pidfd = os.pidfd_open(self.pid)
        _live[self.pid] = self

    def signal(self, signum):
        """Sends a signal and returns the monotonic time just before it was sent.

        Before, not after: on a loaded machine this thread can be descheduled right after kill(2), long
        enough for the child to exit first, which made a few exits look 40 µs long.
        """
        sent = time.monotonic()
        os.kill(self.pid, signum)
        return sent

    def wait_exit(self, timeout):
        """Waits for the exit; returns (monotonic time of the exit, exit code) or None on timeout.

        A pidfd becomes readable the moment the process exits, so the time is not a polling interval.
        """
        poller = select.poll()
        poller.register(self._pidfd, select.POLLIN)
        if not poller.poll(timeout * 1000):
            return None
        exited = time.monotonic()
        code = self.popen.wait()
        self._forget()
        return exited, (128 - code if code < 0 else code)

    def watch_exit(self, timeout):
        """Starts waiting for the exit in a thread, so the exit time is taken when it happens."""
        self._exit = None

        def watch():
            self._exit = self.wait_exit(timeout)

        self._watcher = threading.Thread(target=watch, daemon=True)
        self._watcher.start()

    def exit_seen(self):
        """(monotonic time, exit code) from ``watch_exit``, or None if the process did not exit in time."""
        self._watcher.join()
        return self._exit

    def running(self):
        return self.popen.poll() is None

    def output(self):
        with open(self.log_path, "rb") as log:
            return log.read().decode(errors="replace")

    def stop(self, grace=3.0):
        """Stops the process by its pid: SIGTERM, then SIGKILL after `grace` seconds; its group too."""
        if self.popen.poll() is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
                self.popen.wait(grace)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        if self.popen.poll() is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                self.popen.wait(5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        # Workers a master left behind (gunicorn's) are in the child's own process group, led by its pid.
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._forget()

    def _forget(self):
        if _live.pop(self.pid, None) is not None:
            os.close(self._pidfd)
            self._log.close()


def stop_all():
    """Stops every child still running; called on exit, on errors and on SIGINT/SIGTERM."""
    for child in list(_live.values()):
        child.stop(grace=1.0)


def _interrupted(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def install_handlers():
    signal.signal(signal.SIGTERM, _interrupted)
    signal.signal(signal.SIGINT, _interrupted)
