"""Serve a ReplicaSite over HTTP on 127.0.0.1 (stdlib threaded server; one thread per connection)."""

from __future__ import annotations

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

from crawler.replica.site import ReplicaOptions, ReplicaSite


class _Handler(BaseHTTPRequestHandler):
    server_version = "openresty"  # the real site's CDN
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (stdlib name)
        site: ReplicaSite = self.server.site  # type: ignore[attr-defined]
        try:
            status, headers, body = site.handle(self.path, dict(self.headers.items()))
        except Exception as exc:  # a bug in the replica must show as a 500, not a dropped connection
            status, headers, body = 500, {"Content-Type": "text/plain"}, f"replica error: {exc!r}".encode()
            headers["Content-Length"] = str(len(body))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # requests are in site.log; keep stderr quiet
        pass


class ReplicaServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: ReplicaSite, port: int = 0, host: str = "127.0.0.1"):
        super().__init__((host, port), _Handler)
        self.site = site

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


@contextlib.contextmanager
def serving(site: ReplicaSite | None = None, port: int = 0, **options) -> Iterator[ReplicaServer]:
    """Run the replica in a background thread for the duration of the block; `port=0` picks a free port."""
    site = site or ReplicaSite(ReplicaOptions(**options))
    server = ReplicaServer(site, port)
    thread = threading.Thread(target=server.serve_forever, name="ccgp-replica", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
