"""`tenderwatch serve --review`: sign-in, CSRF, rate-limited login, the review form and queue, review state
in search and the API — and the plain site with no write path at all."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from web_site import ROOT, TENDERWATCH, LiveServer, Site, _build, serve_process

import review_site as rs


@pytest.fixture
def review_any(database_url, tmp_path):
    """The review site on each backend (SQLite, and PostgreSQL when configured)."""
    from web.app import create_app

    ids = rs.build(database_url, tmp_path / "raw")
    app = create_app(database_url, blob_root=tmp_path / "raw", review=True)
    with LiveServer(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        yield Site(base, database_url, ids, http)
    app.state.engine.dispose()
    app.state.review_writer.close()


def _post_review(site: Site, notice_id: int, **data) -> httpx.Response:
    return site.http.post(f"/notices/{notice_id}/review", data=data)


def test_anonymous_review_posts_are_refused_and_change_nothing(review_any):
    nid = review_any.ids["aws_tender"]
    r = _post_review(review_any, nid, decision="rejected", note="drive-by")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    # Even with a valid anonymous token (from the sign-in page): no user, no decision.
    token = rs.csrf_of(review_any.get("/login").text)
    r = _post_review(review_any, nid, decision="rejected", csrf=token)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert review_any.get("/review").status_code == 303
    assert rs.reviews_of(review_any.database_url, nid) == []


def test_review_posts_without_the_sessions_csrf_token_are_refused(review_any):
    nid = review_any.ids["aws_tender"]
    assert rs.sign_in(review_any.http).status_code == 303
    for data in ({}, {"csrf": ""}, {"csrf": "forged-token"}):
        r = _post_review(review_any, nid, decision="confirmed", **data)
        assert r.status_code == 403, data
    # A token from another visitor's session does not fit this session.
    with httpx.Client(base_url=review_any.url) as other:
        foreign = rs.csrf_of(other.get("/login").text)
    assert _post_review(review_any, nid, decision="confirmed", csrf=foreign).status_code == 403
    assert rs.reviews_of(review_any.database_url, nid) == []


def test_a_signed_in_decision_is_recorded_with_what_the_reviewer_saw_and_shown(review_any):
    nid = review_any.ids["gpu_rental"]
    rs.sign_in(review_any.http)
    page = review_any.get(f"/notices/{nid}").text
    assert 'action="/notices/%d/review"' % nid in page and "Not reviewed yet" in page
    r = _post_review(review_any, nid, decision="confirmed", csrf=rs.csrf_of(page), kind=["gpu_rental"],
                     providers="", chips="nvidia-rtx-4090", note="4090 hours rented")
    assert r.status_code == 303 and r.headers["location"] == f"/notices/{nid}#review"
    [row] = rs.reviews_of(review_any.database_url, nid)
    assert (row["decision"], row["reviewer"], row["via"]) == ("confirmed", rs.USER, "web")
    assert row["note"] == "4090 hours rented"
    # The form comes pre-filled with the findings: unchanged fields are no correction.
    assert (row["kinds"], row["providers"], row["chips"]) == (None, None, None)
    assert row["seen"]["gpu_models"] == ["nvidia-rtx-4090"] and row["extractor_version"] == "webtest-1"
    shown = review_any.get(f"/notices/{nid}").text
    assert "Confirmed ✓" in shown and "4090 hours rented" in shown
    api = review_any.get(f"/api/notices/{nid}").json()
    assert api["review"] == "confirmed" and api["reviews"][0]["reviewer"] == rs.USER


def test_signed_in_pages_show_who_is_signed_in_and_signing_out_ends_the_session(review_any):
    rs.sign_in(review_any.http)
    search = review_any.get("/search").text
    assert f"Sign out {rs.USER}" in search and 'href="/review"' in search
    assert review_any.http.post("/logout", data={}).status_code == 403  # the sign-out form needs its token too
    r = review_any.http.post("/logout", data={"csrf": rs.csrf_of(search)})
    assert r.status_code == 303
    assert review_any.get("/review").status_code == 303  # back to the sign-in page
    assert "Sign in" in review_any.get("/search").text


def test_a_copied_session_cookie_stops_working_once_its_owner_signs_out(review_any):
    rs.sign_in(review_any.http)
    copied = review_any.http.cookies["tw_session"]
    search = review_any.get("/search").text
    with httpx.Client(base_url=review_any.url, cookies={"tw_session": copied}) as thief:
        assert thief.get("/review").status_code == 200  # the same cookie is the same session …
        review_any.http.post("/logout", data={"csrf": rs.csrf_of(search)})
        assert thief.get("/review").status_code == 303  # … until sign-out ends it on the server
        nid = review_any.ids["aws_tender"]
        r = thief.post(f"/notices/{nid}/review", data={"decision": "rejected", "csrf": rs.csrf_of(search)})
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert rs.reviews_of(review_any.database_url, review_any.ids["aws_tender"]) == []


def test_signing_a_reviewer_out_everywhere_ends_all_their_sessions(review_any):
    from storage.review import ReviewWriter

    with httpx.Client(base_url=review_any.url) as laptop:
        rs.sign_in(laptop)
        rs.sign_in(review_any.http)
        assert laptop.get("/review").status_code == 200 and review_any.get("/review").status_code == 200
        with ReviewWriter.open(review_any.database_url) as writer:
            assert writer.end_sessions_of(rs.USER) == 2
        assert laptop.get("/review").status_code == 303 and review_any.get("/review").status_code == 303


def test_sign_in_attempts_are_rate_limited(review_any):
    for _ in range(5):
        assert rs.sign_in(review_any.http, password="wrong password!").status_code == 401
    # Past the limit even the right password is refused, with the time to wait.
    r = rs.sign_in(review_any.http)
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in r.text
    assert "tw_session" not in r.headers.get("set-cookie", "")


def test_the_limiter_counts_failures_per_key_and_forgets_them_after_the_window():
    from web.review import LoginLimiter

    now = [1000.0]
    limiter = LoginLimiter(limit=3, window=60, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.wait("addr:1", "user:anna") == 0
        limiter.failed("addr:1", "user:anna")
    assert limiter.wait("addr:1") > 0 and limiter.wait("user:anna") > 0
    assert limiter.wait("addr:2", "user:bo") == 0  # other addresses and names are not held up
    now[0] += 61
    assert limiter.wait("addr:1", "user:anna") == 0


def test_the_session_cookie_is_signed_http_only_and_same_site(review_any):
    r = rs.sign_in(review_any.http)
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    value = review_any.http.cookies["tw_session"]
    # A cookie with its payload changed (another user name) is not a session.
    import base64
    import json

    payload = base64.urlsafe_b64encode(json.dumps({"user": "admin", "csrf": "x"}).encode()).decode().rstrip("=")
    forged = payload + value[value.index("."):]
    with httpx.Client(base_url=review_any.url, cookies={"tw_session": forged}) as other:
        assert other.get("/review").status_code == 303
        r = other.post(f"/notices/{review_any.ids['aws_tender']}/review", data={"decision": "rejected", "csrf": "x"})
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert review_any.get("/review").status_code == 200


def test_a_rejected_case_leaves_the_case_list_but_stays_reachable(review_any):
    nid = review_any.ids["aliyun"]
    ids_of = lambda qs: [h["id"] for h in review_any.get(f"/api/search?{qs}").json()["results"]]  # noqa: E731
    assert nid in ids_of("")
    rs.sign_in(review_any.http)
    page = review_any.get(f"/notices/{nid}").text
    _post_review(review_any, nid, decision="rejected", csrf=rs.csrf_of(page), note="teaching platform, no compute")
    assert nid not in ids_of("")  # the default case list
    assert nid in ids_of("review=rejected") and nid in ids_of("cases=0")
    notice = review_any.get(f"/notices/{nid}")
    assert notice.status_code == 200 and "Rejected" in notice.text
    assert "Not a case: a reviewer rejected" in notice.text
    assert nid not in ids_of("review=pending") and nid in ids_of("review=reviewed")
    assert review_any.get("/api/search?review=maybe").status_code == 400


def test_the_review_queue_lists_pending_candidates_first(review_any):
    import re

    from storage.db import make_engine
    import sqlalchemy as sa

    engine = make_engine(review_any.database_url, read_only=True)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, published_at, remote_compute, compute_candidate FROM notice")).all()
    engine.dispose()
    newest_first = sorted(rows, key=lambda r: r.published_at, reverse=True)
    candidates = [r.id for r in newest_first if r.compute_candidate]
    cases = {r.id for r in rows if r.remote_compute}
    # The premise: a date order alone would list some case before the oldest candidates.
    oldest_candidate = min(r.published_at for r in rows if r.compute_candidate)
    assert oldest_candidate < max(r.published_at for r in rows if r.remote_compute)
    rs.sign_in(review_any.http)
    listed = [int(x) for x in re.findall(r'data-id="(\d+)"', review_any.get("/review").text)]
    assert listed[: len(candidates)] == candidates and len(candidates) >= 2
    assert set(listed[len(candidates):]) == cases
    # A decided candidate leaves the pending queue; with ?all=1 it is listed after the pending ones.
    first = candidates[0]
    page = review_any.get(f"/notices/{first}").text
    _post_review(review_any, first, decision="rejected", csrf=rs.csrf_of(page))
    listed = [int(x) for x in re.findall(r'data-id="(\d+)"', review_any.get("/review").text)]
    assert first not in listed and listed[0] == candidates[1]
    everything = [int(x) for x in re.findall(r'data-id="(\d+)"', review_any.get("/review?all=1").text)]
    assert everything[-1] == first


def test_the_plain_site_has_no_write_path_and_leaves_the_database_untouched(tmp_path):
    from web.app import create_app

    url = f"sqlite:///{tmp_path / 'tw.db'}"
    ids = _build(url, tmp_path / "raw")
    db_file, wal = tmp_path / "tw.db", tmp_path / "tw.db-wal"
    before = hashlib.sha256(db_file.read_bytes()).hexdigest()
    assert not wal.exists() or wal.stat().st_size == 0  # everything the build wrote is in the database file
    app = create_app(url, blob_root=tmp_path / "raw")
    nid = ids["aws_tender"]
    with LiveServer(app) as base, httpx.Client(base_url=base) as http:
        assert http.post(f"/notices/{nid}/review", data={"decision": "rejected"}).status_code in (404, 405)
        assert http.get("/login").status_code == 404
        assert http.post("/login", data={"name": "a"}).status_code in (404, 405)
        assert http.get("/review").status_code == 404
        page = http.get(f"/notices/{nid}").text
        assert "review-form" not in page and "Sign in" not in page and "tw_session" not in http.cookies
        for path in ("/search", "/search?review=confirmed", "/api/search?q=云", f"/api/notices/{nid}"):
            assert http.get(path).status_code == 200
    app.state.engine.dispose()
    # Readers of a WAL database may create an empty -wal and the -shm index; no page was written.
    assert hashlib.sha256(db_file.read_bytes()).hexdigest() == before
    assert not wal.exists() or wal.stat().st_size == 0


def test_serve_review_runs_the_review_site_in_its_own_process(tmp_path):
    import subprocess

    url = f"sqlite:///{tmp_path / 'tw.db'}"
    rs.build(url, tmp_path / "raw")
    env = {"TENDERWATCH_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    refused = subprocess.run([*TENDERWATCH, "serve", "--review", "--workers", "2", "--database-url", url],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "one worker" in refused.stderr and "Traceback" not in refused.stderr
    with serve_process(["--review", "--database-url", url], tmp_path, "/login") as (base, r):
        assert r.status_code == 200 and 'name="csrf"' in r.text
        with httpx.Client(base_url=base) as http:
            assert rs.sign_in(http).status_code == 303
            assert http.get("/review").status_code == 200
