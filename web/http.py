"""HTTP plumbing the routes should not each repeat: HEAD and OPTIONS on every page, and the last-resort
500 response.

Both are pure ASGI middleware placed inside `web.security.SecurityHeaders`, so what they answer carries the
same security headers as every page.
"""

from __future__ import annotations

import logging
from typing import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match

log = logging.getLogger("tenderwatch.web")


class HeadAndOptions:
    """HEAD works wherever GET does (the GET response's status and headers, no body); OPTIONS on an address
    that exists answers 204 with `Allow` listing the methods its routes take. FastAPI's routes answer both
    with 405 on their own."""

    def __init__(self, app, routes: Callable[[], list]):
        self.app = app
        self.routes = routes  # the app's routes, read per request (routes may be added after the middleware)

    async def __call__(self, scope, receive, send):
        method = scope.get("method") if scope["type"] == "http" else None
        if method == "HEAD":
            await self._head(scope, receive, send)
        elif method == "OPTIONS" and (allowed := self._allowed(scope)):
            await Response(status_code=204, headers={"Allow": ", ".join(allowed)})(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _head(self, scope, receive, send):
        async def headers_only(message):
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # the rest of the body is dropped; the final empty message ends the response
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)

    def _allowed(self, scope) -> list[str]:
        """The methods of every route matching this path (any method), plus HEAD beside GET and OPTIONS."""
        probe = {**scope, "method": "GET"}
        methods: set[str] = set()
        for route in self.routes():
            match, _ = route.matches(probe)
            if match == Match.NONE:
                continue
            route_methods = getattr(route, "methods", None) or {"GET"}  # a mount (static files) serves GET
            methods |= set(route_methods)
        if not methods:
            return []
        if "GET" in methods:
            methods.add("HEAD")
        methods.add("OPTIONS")
        order = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
        return sorted(methods, key=lambda m: (order.index(m) if m in order else len(order), m))


class ServerErrors:
    """An exception no handler took becomes `on_error(request)`'s response (the site's 500 page or JSON
    error). Starlette's own last resort sends its 500 outside the other middleware (so without the security
    headers) and re-raises, which makes the server drop the keep-alive connection; this one answers inside
    them and keeps the connection. The error is logged with its traceback."""

    def __init__(self, app, on_error: Callable[[Request], Response]):
        self.app = app
        self.on_error = on_error

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def tracking(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception:
            log.exception("error serving %s", scope.get("path", ""))
            if started:  # a streamed response failed half-way: nothing sound can be sent any more
                raise
            await self.on_error(Request(scope))(scope, receive, send)
