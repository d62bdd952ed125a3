"""What a hostile tester hit on the site (issue 18): ids beyond the database's range, unknown filter values,
HEAD and OPTIONS, and error responses without the security headers. Real app, real uvicorn, real HTTP."""

from __future__ import annotations

import http.client
import sqlite3
from urllib.parse import urlsplit

import pytest

from web.security import BASE_HEADERS

ID_ROUTES = ("/notices/{}", "/notices/{}/raw", "/attachments/{}/raw", "/api/notices/{}", "/orgs/{}", "/api/orgs/{}",
             "/api/orgs/{}/network", "/orgs/{}/network.graphml", "/orgs/{}/network.csv")
# Beyond 64 bits, beyond PostgreSQL's INTEGER ids, the lowest 64-bit id and below, zero.
BAD_IDS = (2**63, 2**64 + 5, 2**31, -(2**63), -(2**63) - 1, -1, 0)


def assert_security_headers(headers) -> None:
    """`headers`: any case-insensitive mapping (httpx's response.headers, http.client's response.msg)."""
    for name, value in BASE_HEADERS.items():
        assert headers.get(name) == value, name
    assert "default-src 'none'" in headers.get("content-security-policy")


def test_ids_outside_the_database_range_are_404_with_security_headers_on_every_id_route(site_any):
    for route in ID_ROUTES:
        for bad in BAD_IDS:
            r = site_any.get(route.format(bad))
            assert r.status_code == 404, (route, bad, r.status_code)
            assert_security_headers(r.headers)
    # Filters naming an organisation by an id beyond the range find nothing; they do not fail.
    for name in ("buyer", "vendor"):
        r = site_any.get("/api/search", params={name: str(2**70), "cases": "0"})
        assert r.status_code == 200 and r.json()["total"] == 0


def test_a_server_error_carries_the_security_headers_and_keeps_the_connection(own_site):
    """A 500 (here: the organisation table vanished under the running site) answers like every page —
    same headers, readable message — and the keep-alive connection serves the next request."""
    broken = sqlite3.connect(own_site.database_url.removeprefix("sqlite:///"))
    broken.execute("ALTER TABLE organisation RENAME TO organisation_gone")
    broken.commit()
    broken.close()
    parts = urlsplit(own_site.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        for path, kind in (("/api/orgs/1", "application/json"), ("/orgs/1", "text/html")):
            conn.request("GET", path)
            r = conn.getresponse()
            body = r.read().decode()
            assert r.status == 500
            assert r.getheader("content-type").startswith(kind)
            assert "traceback" not in body.lower() and "organisation_gone" not in body
            assert_security_headers(r.msg)
            sock = conn.sock
            conn.request("HEAD", path)  # HEAD of the failing page: its status and headers, no body
            head = conn.getresponse()
            assert head.status == 500 and head.read() == b"" and conn.sock is sock
            assert_security_headers(head.msg)
            conn.request("GET", "/help")  # the same connection, still open
            ok = conn.getresponse()
            ok.read()
            assert ok.status == 200 and conn.sock is sock
    finally:
        conn.close()


@pytest.mark.parametrize(
    "name, value, known",
    [("provider", "aliyun", "alibaba-cloud"), ("flag", "foo", "intermediary"), ("kind", "gpu", "gpu_rental"),
     ("chip", "a100", "nvidia-a100"), ("type", "bid", "award")],
)
def test_unknown_filter_values_are_a_400_naming_the_known_values(site, name, value, known):
    api = site.get("/api/search", params={name: value})
    assert api.status_code == 400
    assert repr(value) in api.json()["error"] and known in api.json()["error"]
    page = site.get("/search", params={name: value})
    assert page.status_code == 400 and known in page.text
    for path in ("/feeds/search.atom", "/api/search?format=csv"):
        assert site.get(path, params={name: value}).status_code == 400
    # A known value is a filter like any other.
    assert site.get("/api/search", params={name: known, "cases": "0"}).status_code == 200


def test_head_answers_wherever_get_does_with_the_same_headers_and_no_body(site):
    notice = site.ids["aws_award"]
    for path in ("/search?q=云", "/api/search?q=云", f"/notices/{notice}", f"/api/notices/{notice}",
                 f"/notices/{notice}/raw", "/help", "/feeds/search.atom", "/openapi.json", "/docs",
                 "/static/style.css", "/robots.txt", "/notices/999999"):
        get, head = site.get(path), site.http.head(path)
        assert head.status_code == get.status_code, path
        assert head.content == b"", path
        assert head.headers.get("content-type") == get.headers.get("content-type"), path
        assert_security_headers(head.headers)


def test_options_lists_the_methods_of_an_existing_address_and_404s_elsewhere(site):
    for path in ("/search", "/api/search", f"/notices/{site.ids['aws_award']}", "/static/style.css"):
        r = site.http.options(path)
        assert r.status_code == 204, path
        assert r.headers["allow"] == "GET, HEAD, OPTIONS", path
        assert_security_headers(r.headers)
    assert site.http.options("/no/such/page").status_code == 404
