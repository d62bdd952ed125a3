"""`tenderwatch serve` as a user runs it: a separate process, loopback by default, read-only."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import httpx
from web_site import TENDERWATCH, _build, serve_process


def test_serve_binds_loopback_by_default_and_serves_the_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    ids = _build(url, tmp_path / "raw")
    db_file = tmp_path / "tw.db"
    before = hashlib.sha256(db_file.read_bytes()).hexdigest()
    with serve_process(["--database-url", url], tmp_path, "/search") as (base, r):
        assert r.status_code == 200 and "tenderwatch" in r.text
        assert httpx.get(f"{base}/api/notices/{ids['aws_tender']}").json()["buyer"]["name"] == "北方理工大学"
        # Listening on loopback only: the socket is bound to 127.0.0.1, not 0.0.0.0.
        port = base.rsplit(":", 1)[1]
        out = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True).stdout
        local = [line.split()[3] for line in out.splitlines() if line.strip()]
        if local:  # `ss` is there (iproute2)
            assert local == [f"127.0.0.1:{port}"]
    assert hashlib.sha256(db_file.read_bytes()).hexdigest() == before  # the server wrote nothing


def test_serve_refuses_a_missing_database_with_a_message(tmp_path):
    r = subprocess.run([*TENDERWATCH, "serve", "--database-url", f"sqlite:///{tmp_path / 'none.db'}"],
                       capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parents[2])
    assert r.returncode != 0
    assert "no database" in (r.stderr + r.stdout).lower()
    assert "Traceback" not in r.stderr


def test_serve_help_documents_the_safe_default():
    r = subprocess.run([*TENDERWATCH, "serve", "--help"], capture_output=True, text=True, timeout=60,
                       cwd=Path(__file__).resolve().parents[2])
    assert r.returncode == 0 and "127.0.0.1" in r.stdout
