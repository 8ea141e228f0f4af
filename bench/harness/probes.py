"""Clients on plain sockets, so the harness sees exactly what the kernel reports."""
import errno
import socket
import threading
import time


def http_exchange(sock, path, timeout):
    """Sends one GET on a connected socket; returns a dict: outcome, status, connection header, time."""
    sock.settimeout(timeout)
    try:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        data = b""
        received = None
        while True:
            head_end = data.find(b"\r\n\r\n")
            if head_end >= 0:
                lines = data[:head_end].decode(errors="replace").split("\r\n")
                headers = {}
                for line in lines[1:]:
                    key, _, value = line.partition(":")
                    headers[key.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                if len(data) - head_end - 4 >= length:
                    return {
                        "outcome": "http", "status": int(lines[0].split()[1]),
                        "connection": headers.get("connection", ""), "at": received,
                        "body": data[head_end + 4:head_end + 4 + length].decode(errors="replace"),
                    }
            chunk = sock.recv(65536)
            # The time the bytes arrived, before any parsing: other client threads share the GIL.
            received = time.monotonic()
            if not chunk:
                return {"outcome": "eof", "status": None, "at": received}
            data += chunk
    except ConnectionResetError:
        return {"outcome": "reset", "status": None, "at": time.monotonic()}
    except socket.timeout:
        return {"outcome": "timeout", "status": None, "at": time.monotonic()}


def connect_tcp(port, timeout=5.0):
    """Returns (socket or None, errno name or 'ok', seconds the connect took)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.settimeout(timeout)
    started = time.monotonic()
    try:
        sock.connect(("127.0.0.1", port))
        return sock, "ok", time.monotonic() - started
    except OSError as error:
        sock.close()
        name = errno.errorcode.get(error.errno, "timeout") if error.errno else "timeout"
        return None, name, time.monotonic() - started


def get(port, path, timeout):
    """One GET on a fresh connection, for a client thread."""
    sock, result, _ = connect_tcp(port)
    if sock is None:
        return {"outcome": f"connect:{result}", "status": None, "at": time.monotonic()}
    try:
        return http_exchange(sock, path, timeout)
    finally:
        sock.close()


def late_request(port, timeout):
    """A request sent after the stop signal: refused at once, or accepted and then what happened."""
    sock, result, took = connect_tcp(port)
    if sock is None:
        return {"connect": result, "connect_ms": took * 1000, "outcome": "refused" if result == "ECONNREFUSED" else result}
    try:
        started = time.monotonic()
        answer = http_exchange(sock, "/sleep?ms=0", timeout)
        outcome = f"accepted, then {answer['status'] or answer['outcome']}"
        return {"connect": "ok", "connect_ms": took * 1000, "outcome": outcome,
                "outcome_ms": (answer["at"] - started) * 1000}
    finally:
        sock.close()


def wait_http(port, timeout=30.0):
    """Waits until GET /sleep?ms=0 answers 200 (the server is up end to end)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = get(port, "/sleep?ms=0", 2.0)
        if answer.get("status") == 200:
            return True
        time.sleep(0.02)
    return False


class Clients:
    """Requests running in threads, each on its own connection, started together."""

    def __init__(self, port, paths, timeout):
        self.results = [None] * len(paths)
        self.sent = time.monotonic()
        self._threads = [
            threading.Thread(target=self._run, args=(i, port, path, timeout), daemon=True)
            for i, path in enumerate(paths)
        ]
        for thread in self._threads:
            thread.start()

    def _run(self, index, port, path, timeout):
        self.results[index] = get(port, path, timeout)

    def join(self, timeout):
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return [r or {"outcome": "no answer", "status": None, "at": time.monotonic()} for r in self.results]


def unix_connect(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(5.0)
    sock.connect(path)
    return sock


def read_line(sock, buffer=b""):
    while b"\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection before a full line")
        buffer += chunk
    line, _, rest = buffer.partition(b"\n")
    return line, rest


def read_to_eof(sock):
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def round_trips_kept_open(path, request, count, check):
    """Median-ready list of seconds per request/line-reply on one connection."""
    sock = unix_connect(path)
    times = []
    try:
        rest = b""
        for _ in range(count):
            started = time.perf_counter()
            sock.sendall(request)
            line, rest = read_line(sock, rest)
            times.append(time.perf_counter() - started)
            check(line)
    finally:
        sock.close()
    return times


def round_trips_fresh(path, request, count, check, until_eof=False):
    """Seconds per connect + request + reply + close; `until_eof` for servers that close after answering."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        sock = unix_connect(path)
        sock.sendall(request)
        reply = read_to_eof(sock) if until_eof else read_line(sock)[0]
        sock.close()
        times.append(time.perf_counter() - started)
        check(reply)
    return times
