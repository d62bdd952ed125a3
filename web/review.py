"""The review side of the site, mounted only by `tenderwatch serve --review`: sign-in, the review queue and
the review form (`POST /notices/{id}/review`).

Without --review none of this exists and the site keeps its read-only engine alone. With it, decisions and
nothing else are written, through `storage.review.ReviewWriter`, whose engine can change only the review
and user tables. Sessions live in a signed (itsdangerous), HttpOnly, SameSite=Strict cookie that holds the
id of a server-side session (`review_session`: signing out revokes it, so a copied cookie stops working) and
the session's CSRF token; every form carries the token and every POST checks it. Failed sign-ins are counted
per client address (5) and per user name (20: high enough that a stranger cannot lock a reviewer out with a
few tries, low enough to stop guessing one account from many addresses); past a limit, sign-in is refused
until the window has passed (counted in this process: run the review site with one worker). Password
hashing (argon2, deliberately slow) runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from collections import defaultdict, deque
from typing import Any, Callable
from urllib.parse import quote

from datetime import timedelta

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.exceptions import HTTPException as StarletteHTTPException

from storage import review as reviews
from storage.db import is_row_id

COOKIE = "tw_session"
SESSION_MAX_AGE = 12 * 3600  # seconds a sign-in lasts
SECRET_ENV = "TENDERWATCH_SESSION_SECRET"  # set it to keep sessions across restarts (and for several workers)
LOGIN_LIMIT = 5  # failed sign-ins allowed per window, per client address
NAME_LIMIT = 20  # … and per user name, from any address (see the module docstring)
LOGIN_WINDOW = 15 * 60  # seconds
MAX_FORM_BYTES = 64_000


class LoginLimiter:
    """Failed attempts per key in a sliding window; `wait(keys)` is the seconds until one more is allowed."""

    def __init__(self, limit: int = LOGIN_LIMIT, window: float = LOGIN_WINDOW,
                 clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def wait(self, *keys: str) -> float:
        now = self.clock()
        with self._lock:
            longest = 0.0
            for key in keys:
                q = self._failures.get(key)
                if not q:
                    continue
                while q and q[0] <= now - self.window:
                    q.popleft()
                if len(q) >= self.limit:
                    longest = max(longest, q[0] + self.window - now)
            return longest

    def failed(self, *keys: str) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                self._failures[key].append(now)


class Sessions:
    """The signed session cookie: {"sid": server-side session id or absent, "csrf": token}."""

    def __init__(self, secret: str):
        self.serializer = URLSafeTimedSerializer(secret, salt="tenderwatch-review-session")

    def read(self, request: Request) -> dict[str, Any]:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return {}
        try:
            data = self.serializer.loads(raw, max_age=SESSION_MAX_AGE)
        except BadSignature:  # tampered, or expired (SignatureExpired is a BadSignature)
            return {}
        return data if isinstance(data, dict) and isinstance(data.get("csrf"), str) else {}

    def write(self, request: Request, response: Response, data: dict[str, Any]) -> None:
        response.set_cookie(
            COOKIE, self.serializer.dumps(data), max_age=SESSION_MAX_AGE, httponly=True, samesite="strict",
            secure=request.url.scheme == "https", path="/",
        )


def _seen_findings(engine, notice_id: int):
    if not is_row_id(engine.dialect.name, notice_id):
        return None
    with engine.connect() as conn:
        return reviews.seen_findings(conn, notice_id)


def _verify(engine, name: str, password: str) -> bool:
    with engine.connect() as conn:
        return reviews.verify_password(conn, name, password)


def _local(path: str | None) -> str:
    """A redirect target on this site only (no //host, no scheme)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/review"
    return path


def install(app: FastAPI, url: str, *, page: Callable, engine) -> None:
    """Mount the review routes and give the pages what they need (`app.state.review_context`)."""
    writer = reviews.ReviewWriter.open(url, migrate=False)
    app.state.review_writer = writer
    sessions = Sessions(os.environ.get(SECRET_ENV) or secrets.token_urlsafe(32))
    limiter = LoginLimiter()
    name_limiter = LoginLimiter(limit=NAME_LIMIT)
    app.state.login_limiter = limiter

    def session(request: Request) -> dict[str, Any]:
        """The request's session, read once per request: the cookie, and whose it is while the server-side
        session lives ("user")."""
        s = getattr(request.state, "tw_session", None)
        if s is None:
            s = request.state.tw_session = sessions.read(request)
            sid = s.get("sid")
            if isinstance(sid, str):
                with engine.connect() as conn:
                    s["user"] = reviews.session_user(conn, sid)
        return s

    def context(request: Request) -> dict[str, Any]:
        s = session(request)
        return {"review_mode": True, "review_user": s.get("user"), "csrf": s.get("csrf", "")}

    app.state.review_context = context


    async def form_of(request: Request) -> dict[str, Any]:
        if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
            raise StarletteHTTPException(413, "The form is too large.")
        form = await request.form()
        out: dict[str, Any] = {}
        for k, v in form.multi_items():
            if isinstance(v, str):
                out.setdefault(k, []).append(v)
        return out

    def check_csrf(request: Request, form: dict[str, Any]) -> None:
        expected = session(request).get("csrf") or ""
        given = (form.get("csrf") or [""])[-1]
        if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
            raise StarletteHTTPException(403, "The form's security token is missing or out of date: reload the page "
                                              "and send it again.")

    def to_login(request: Request) -> Response:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)

    # ------------------------------------------------------------------ sign-in
    @app.get("/login", include_in_schema=False)
    def login_page(request: Request, next: str = "/review"):
        s = session(request)
        fresh = not s
        if fresh:  # anonymous visitors get a cookie with a CSRF token, so the sign-in form is protected too
            s.update(csrf=secrets.token_urlsafe(32))
        response = page(request, "login.html", {"next": _local(next), "error": None})
        if fresh:
            sessions.write(request, response, {"csrf": s["csrf"]})
        return response

    @app.post("/login", include_in_schema=False)
    async def login(request: Request):
        form = await form_of(request)
        check_csrf(request, form)
        name = (form.get("name") or form.get("username") or [""])[-1].strip()[: reviews.MAX_NAME_CHARS]
        password = (form.get("password") or [""])[-1]
        target = _local((form.get("next") or [""])[-1])
        client = request.client.host if request.client else "unknown"
        by_client, by_name = f"addr:{client}", f"user:{name.lower()}"
        wait = max(limiter.wait(by_client), name_limiter.wait(by_name))
        if wait > 0:
            minutes = max(1, round(wait / 60))
            response = page(request, "login.html", {
                "next": target,
                "error": f"Too many failed sign-ins. Try again in about {minutes} minute{'s' if minutes > 1 else ''}.",
            }, 429)
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response
        if not name or not await run_in_threadpool(_verify, engine, name, password):
            limiter.failed(by_client)
            name_limiter.failed(by_name)
            return page(request, "login.html", {"next": target, "error": "Wrong user name or password."}, 401)
        response = RedirectResponse(target, status_code=303)
        # A new session (and token) at sign-in: a token seen before signing in is worth nothing after.
        sid = await run_in_threadpool(writer.open_session, name, timedelta(seconds=SESSION_MAX_AGE))
        sessions.write(request, response, {"sid": sid, "csrf": secrets.token_urlsafe(32)})
        return response

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request):
        form = await form_of(request)
        check_csrf(request, form)
        sid = session(request).get("sid")
        if isinstance(sid, str):
            await run_in_threadpool(writer.end_session, sid)
        response = RedirectResponse("/search", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    # ------------------------------------------------------------------ queue and decisions
    @app.get("/review", include_in_schema=False)
    def review_queue(request: Request, all: int = 0):
        if not session(request).get("user"):
            return to_login(request)
        with engine.connect() as conn:
            rows = reviews.queue(conn, pending_only=not all, candidates_first=True, limit=500)
        return page(request, "review_queue.html", {"rows": rows, "show_all": bool(all)})

    @app.post("/notices/{notice_id}/review", include_in_schema=False)
    async def review_notice(request: Request, notice_id: int):
        user = session(request).get("user")
        if not user:
            return to_login(request)
        form = await form_of(request)
        check_csrf(request, form)
        decision = (form.get("decision") or [""])[-1]
        decision = {"confirm": "confirmed", "reject": "rejected"}.get(decision, decision)  # the CLI's words too
        if decision not in reviews.DECISIONS:
            raise StarletteHTTPException(400, "Choose confirm or reject.")
        seen = await run_in_threadpool(_seen_findings, engine, notice_id)
        if seen is None:
            raise StarletteHTTPException(404, f"There is no notice {notice_id}.")
        corrections: dict[str, list[str] | None] = {"kinds": None, "providers": None, "chips": None}
        if decision == "confirmed":
            # The form shows the findings pre-filled: only what the reviewer changed is a correction.
            given = {
                "kinds": form.get("kind") or [],
                "providers": reviews.split_values(form.get("providers") or []),
                "chips": reviews.split_values(form.get("chips") or []),
            }
            seen_keys = {"kinds": "compute_kinds", "providers": "cloud_providers", "chips": "gpu_models"}
            for key, values in given.items():
                values = [v.strip() for v in values if v.strip()]
                if sorted(set(values)) != sorted(seen[seen_keys[key]]):
                    corrections[key] = values
        try:
            # In a worker thread like every database call of an async route: a busy SQLite writer must not
            # hold the event loop (and with it every other request).
            await run_in_threadpool(writer.record, notice_id, decision, user, note=(form.get("note") or [""])[-1],
                                    via="web", **corrections)
        except reviews.ReviewError as exc:
            raise StarletteHTTPException(400, str(exc)) from None
        return RedirectResponse(f"/notices/{notice_id}#review", status_code=303)
