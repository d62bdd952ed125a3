"""Response headers that keep hostile scraped content inert in the reader's browser.

The pages use no inline script or style, so the Content-Security-Policy can forbid both: even if escaping
failed somewhere, an injected <script> or onerror= would not run. Only /docs (Swagger UI, served from local
assets, sets inline styles) gets a looser style policy; its scripts are files too.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# Raw copies of scraped pages: even if a browser were talked into rendering one, it runs in an opaque origin
# with no scripts.
SANDBOX_CSP = "sandbox; default-src 'none'"

BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


class SecurityHeaders:
    """Pure ASGI middleware (not BaseHTTPMiddleware), so streamed exports pass through untouched."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        csp = DOCS_CSP if path in ("/docs", "/redoc", "/docs/oauth2-redirect") else CSP

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for k, v in BASE_HEADERS.items():
                    headers.setdefault(k, v)
                headers.setdefault("Content-Security-Policy", csp)
            await send(message)

        await self.app(scope, receive, send_with_headers)
