"""Serving the replicas of the other sources (ggzy, zcy, cebpub), alone or all four with ccgp's.

Those sites answer POSTed forms and JSON, so their replicas implement
``handle(target, headers, method="GET", body=b"") -> (status, headers, body)``; ccgp's ``ReplicaSite.handle``
(GET only) is served as it is. ``serving_all`` runs every replica, each on its own port, for
``tenderwatch crawl all --site-root ccgp=URL,ggzy=URL,…``.
"""

from __future__ import annotations

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

from crawler.replica.site import LoggedRequest

MAX_POST_BYTES = 1 << 20  # the real APIs take small forms; anything bigger is a client bug
# Every bundled replica, by spider name (what all_sites() builds), with what it reproduces.
REPLICAS = {
    "ccgp": "www.ccgp.gov.cn with search.ccgp.gov.cn and download.ccgp.gov.cn: WAF cookies (a WAF mode with a "
            "short lifetime), robots.txt, empty CDN answers, 频繁访问 block pages",
    "ggzy": "www.ggzy.gov.cn: the JSON list API (capped totals, business codes) and content pages",
    "zcy": "政采云 portals of Zhejiang and Shanghai: the JSON category/detail APIs, Aliyun WAF challenge",
    "cebpub": "bulletin.cebpubservice.com: bulletin lists, PDF full texts, the slider captcha",
}


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


def all_sites(**options) -> dict:
    """Every bundled replica (ccgp, ggzy, zcy, cebpub), by spider name; `options` maps a name to the
    options object of that site's replica."""
    from crawler.replica.cebpub import CebpubReplica
    from crawler.replica.ggzy import GgzyReplica
    from crawler.replica.site import ReplicaSite
    from crawler.replica.zcy import ZcyReplica

    return {
        "ccgp": ReplicaSite(options.get("ccgp")),
        "ggzy": GgzyReplica(options.get("ggzy")),
        "zcy": ZcyReplica(options.get("zcy")),
        "cebpub": CebpubReplica(options.get("cebpub")),
    }


@contextlib.contextmanager
def serving_all(sites: dict | None = None) -> Iterator[dict[str, str]]:
    """Serve every replica, each on its own port (a site root has no path: pages link to root-relative
    paths). Yields {spider name: root URL}, what `tenderwatch crawl all --site-root` takes as
    ``name=URL,…``."""
    sites = sites if sites is not None else all_sites()
    with contextlib.ExitStack() as stack:
        yield {name: stack.enter_context(serving(site)).url for name, site in sites.items()}
