"""The peers' side of the same work: a view that sleeps for ?ms=N and answers 200.

- ``wsgi`` for gunicorn (sync and gthread workers),
- ``asgi`` for uvicorn,
- run as a script, a threaded HTTP/1.1 backend for HAProxy: ``python3 sleepapp.py PORT``.
"""
import asyncio
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def _millis(path_and_query):
    parts = urlsplit(path_and_query)
    if parts.path != "/sleep":
        return None
    try:
        return max(0, int(parse_qs(parts.query).get("ms", ["0"])[0]))
    except ValueError:
        return None


def _body(ms):
    return f"slept {ms} ms\n".encode()


def wsgi(environ, start_response):
    ms = _millis(environ.get("PATH_INFO", "") + "?" + environ.get("QUERY_STRING", ""))
    if ms is None:
        start_response("404 Not Found", [("Content-Length", "0")])
        return [b""]
    time.sleep(ms / 1000)
    body = _body(ms)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


async def asgi(scope, receive, send):
    if scope["type"] != "http":
        return
    ms = _millis(scope["path"] + "?" + scope.get("query_string", b"").decode())
    if ms is None:
        await send({"type": "http.response.start", "status": 404, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})
        return
    await asyncio.sleep(ms / 1000)
    body = _body(ms)
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Backend(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        ms = _millis(self.path)
        if ms is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        time.sleep(ms / 1000)
        body = _body(ms)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), _Backend)
    server.daemon_threads = True
    server.serve_forever()
