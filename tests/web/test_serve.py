"""`tenderwatch serve` as a user runs it: a separate process, loopback by default, read-only."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from web_site import _build

TENDERWATCH = [sys.executable, "-m", "tenderwatch.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_binds_loopback_by_default_and_serves_the_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    ids = _build(url, tmp_path / "raw")
    db_file = tmp_path / "tw.db"
    before = hashlib.sha256(db_file.read_bytes()).hexdigest()
    port = free_port()
    env = {"TENDERWATCH_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen([*TENDERWATCH, "serve", "--port", str(port), "--database-url", url],
                            cwd=Path(__file__).resolve().parents[2], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                r = httpx.get(base + "/search", timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None:
                    raise AssertionError(proc.stdout.read())
                time.sleep(0.1)
        assert r.status_code == 200 and "tenderwatch" in r.text
        assert httpx.get(f"{base}/api/notices/{ids['aws_tender']}").json()["buyer"]["name"] == "北方理工大学"
        # Listening on loopback only: the socket is bound to 127.0.0.1, not 0.0.0.0.
        out = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True).stdout
        local = [line.split()[3] for line in out.splitlines() if line.strip()]
        if local:  # `ss` is there (iproute2)
            assert local == [f"127.0.0.1:{port}"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
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
