"""Serving the replicas of the other sources (ggzy, zcy, cebpub), alone or together with ccgp's.

Those sites answer POSTed forms and JSON, so their replicas implement
``handle(target, headers, method="GET", body=b"") -> (status, headers, body)``; ccgp's ``ReplicaSite.handle``
(GET only) is used as it is. ``CombinedSite`` puts every replica under one root, one path prefix per site
(``/ccgp``, ``/ggzy`` …), which is what ``tenderwatch crawl all --site-root ROOT`` expects: each spider
crawls ``ROOT/<its name>``.
"""

from __future__ import annotations

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

from crawler.replica.site import LoggedRequest

MAX_POST_BYTES = 1 << 20  # the real APIs take small forms; anything bigger is a client bug


def call_site(site: Any, target: str, headers: dict[str, str], method: str, body: bytes):
    if getattr(site, "accepts_post", False):
        return site.handle(target, headers, method=method, body=body)
    if method != "GET":
        return 405, {"Content-Type": "text/plain; charset=utf-8", "Allow": "GET"}, b"method not allowed"
    return site.handle(target, headers)


class _Handler(BaseHTTPRequestHandler):
    server_version = "openresty"
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (stdlib name)
        self._answer("GET", b"")

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_POST_BYTES:
            self._send(413, {"Content-Type": "text/plain"}, b"request body too large")
            return
        self._answer("POST", self.rfile.read(length))

    def _answer(self, method: str, body: bytes):
        try:
            status, headers, out = call_site(self.server.site, self.path, dict(self.headers.items()), method, body)
        except Exception as exc:  # a bug in the replica must show as a 500, not a dropped connection
            status, headers, out = 500, {"Content-Type": "text/plain"}, f"replica error: {exc!r}".encode()
        self._send(status, headers, out)

    def _send(self, status: int, headers: dict[str, str], body: bytes):
        self.send_response(status)
        headers = {**headers, "Content-Length": str(len(body))}
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # requests are in each site's log
        pass


class MultiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: Any, port: int = 0, host: str = "127.0.0.1"):
        super().__init__((host, port), _Handler)
        self.site = site

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


@contextlib.contextmanager
def serving(site: Any, port: int = 0) -> Iterator[MultiServer]:
    """Serve `site` (any replica) on 127.0.0.1 in a background thread for the duration of the block."""
    server = MultiServer(site, port)
    thread = threading.Thread(target=server.serve_forever, name="replica", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class CombinedSite:
    """Several replicas under one root: ``/<name>/…`` is ``sites[name]`` serving ``/…``. robots.txt at
    the root allows everything (each site's own robots rules apply to the real hosts, not to this mirror)."""

    accepts_post = True

    def __init__(self, sites: dict[str, Any]):
        self.sites = sites
        self.log: list[LoggedRequest] = []
        self._lock = threading.Lock()

    def handle(self, target: str, headers: dict[str, str], method: str = "GET", body: bytes = b""):
        if target == "/robots.txt":
            return 200, {"Content-Type": "text/plain; charset=utf-8"}, b"User-agent: *\nDisallow:\n"
        name, _, rest = target.lstrip("/").partition("/")
        site = self.sites.get(name.split("?", 1)[0])
        if site is None:
            result = 404, {"Content-Type": "text/html; charset=utf-8"}, b"<html><body>404 Not Found</body></html>"
        else:
            result = call_site(site, "/" + rest, headers, method, body)
        with self._lock:
            self.log.append(LoggedRequest(target, result[0], len(result[2])))
        return result


def all_sites(**options) -> CombinedSite:
    """Every bundled replica (ccgp, ggzy, zcy, cebpub) under one root, with default options; `options`
    maps a site name to the options object of that site's replica."""
    from crawler.replica.cebpub import CebpubReplica
    from crawler.replica.ggzy import GgzyReplica
    from crawler.replica.site import ReplicaSite
    from crawler.replica.zcy import ZcyReplica

    return CombinedSite({
        "ccgp": ReplicaSite(options.get("ccgp")),
        "ggzy": GgzyReplica(options.get("ggzy")),
        "zcy": ZcyReplica(options.get("zcy")),
        "cebpub": CebpubReplica(options.get("cebpub")),
    })
