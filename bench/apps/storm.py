#!/usr/bin/env python3
"""A storm of control-socket clients, in a process of its own so it does not share the harness's GIL.

Usage: storm.py SOCKET N. Keeps N connections going until SIGTERM, a third of each kind:
- status: sends `status`, reads the reply (or the refusal), closes, connects again at once;
- stalled: subscribes at 50 ms and never reads (reconnects only when the server closes it);
- holder: connects and sends nothing (reconnects when closed).
Connections over the server's limit get `too_many_clients` and connect again, so the storm never lets up.
Prints `ready` once all N have connected once, then at the end one JSON line of counts.
"""
import json
import selectors
import signal
import socket
import sys

path, total = sys.argv[1], int(sys.argv[2])
selector = selectors.DefaultSelector()
counts = {"connects": 0, "connect_errors": 0, "replies": 0, "too_many_clients": 0, "idle_timeout": 0,
          "slow_client": 0, "other_errors": 0, "resets": 0}
stopping = False


def stop(_signum, _frame):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, stop)


def start(kind):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError:
        counts["connect_errors"] += 1
        sock.close()
        return False
    counts["connects"] += 1
    if kind == "status":
        sock.sendall(b'{"op":"status"}\n')
    elif kind == "stalled":
        sock.sendall(b'{"op":"subscribe","interval_ms":50}\n')
    sock.setblocking(False)
    # The stalled ones are never read: registered for nothing, they only hold their slot.
    if kind != "stalled":
        selector.register(sock, selectors.EVENT_READ, (kind, bytearray()))
    else:
        stalled.append(sock)
    return True


def tally(line):
    try:
        message = json.loads(line)
    except ValueError:
        counts["other_errors"] += 1
        return
    if message.get("type") == "error":
        code = message.get("error", {}).get("code")
        counts[code if code in counts else "other_errors"] += 1
    elif message.get("type") == "result":
        counts["replies"] += 1


stalled = []
kinds = ["status", "stalled", "holder"]
for index in range(total):
    start(kinds[index % 3])
print("ready", flush=True)
while not stopping:
    for key, _ in selector.select(timeout=0.05):
        kind, state = key.data
        try:
            data = key.fileobj.recv(1 << 16)
        except BlockingIOError:
            continue
        except ConnectionResetError:
            counts["resets"] += 1
            data = b""
        lines = 0
        if data:
            state += data
            while b"\n" in state:
                line, _, rest = bytes(state).partition(b"\n")
                state[:] = rest
                tally(line)
                lines += 1
            # A status client is done with its reply; the others read on until the server closes them.
            if kind != "status" or lines == 0:
                continue
        selector.unregister(key.fileobj)
        key.fileobj.close()
        if not stopping:
            start(kind)
for sock in stalled:
    sock.close()
print(json.dumps(counts), flush=True)
