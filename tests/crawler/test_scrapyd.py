"""Scrapyd runs the crawler: `scrapyd-deploy` builds an egg of this checkout (with the `scrapy` settings entry
point of pyproject.toml) and uploads it to a real local `scrapyd`; a job scheduled through `schedule.json`,
with the spider arguments and the database and data dir as settings, crawls the replica over HTTP into the
database. A job that does not name its data dir refuses to start rather than write into Scrapyd's directory.
Expected notices come from the replica's own data, never from the crawl."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

from crawler.replica.content import load_notices
from crawler.replica.server import serving
from crawler.replica.site import ReplicaSite

from crawl_helpers import ROOT, Database

NOTICES = load_notices()
CANONICAL = sorted("https://www.ccgp.gov.cn" + n.path for n in NOTICES)
ATTACHMENTS = sum(len(n.attachments) for n in NOTICES)
# What a checkout needs to build its egg (pyproject's packages, its readme, the Scrapy project file).
PROJECT_FILES = ["pyproject.toml", "scrapy.cfg", "README.md", "tenderwatch", "crawler", "extract", "models", "storage",
                 "web"]
JOB_SECONDS = 300
FAST = {"EMPTY_BODY_RETRY_DELAY": "0.2", "BLOCK_BACKOFF_SECONDS": "0.2"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Scrapyd:
    """A scrapyd server in its own directory (as on a crawl host) and its JSON API."""

    def __init__(self, home: Path, port: int):
        self.home, self.url = home, f"http://127.0.0.1:{port}/"
        (home / "scrapyd.conf").write_text(
            f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\npoll_interval = 0.5\n"
            "eggs_dir = eggs\nlogs_dir = logs\ndbs_dir = dbs\nmax_proc = 2\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("TENDERWATCH_")}
        env["TENDERWATCH_EGG_CACHE"] = str(home / "egg-cache")  # where jobs unpack the egg (crawler/egg.py)
        self.log = open(home / "scrapyd.out", "w")
        self.process = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=home, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.get("daemonstatus.json")["status"] == "ok":
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"scrapyd did not start:\n{(home / 'scrapyd.out').read_text()}")
                time.sleep(0.3)

    def get(self, endpoint: str, **params) -> dict:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(self.url + endpoint + query, timeout=10) as response:
            return json.loads(response.read())

    def post(self, endpoint: str, fields: list[tuple[str, str]]) -> dict:
        data = urllib.parse.urlencode(fields).encode()
        with urllib.request.urlopen(self.url + endpoint, data=data, timeout=10) as response:
            return json.loads(response.read())

    def schedule(self, spider: str, arguments: dict[str, str], settings: dict[str, str]) -> str:
        fields = [("project", "tenderwatch"), ("spider", spider), *arguments.items(),
                  *(("setting", f"{k}={v}") for k, v in settings.items())]
        answer = self.post("schedule.json", fields)
        assert answer["status"] == "ok", answer
        return answer["jobid"]

    def wait(self, job: str) -> str:
        """Wait for the job to finish; returns its log."""
        deadline = time.monotonic() + JOB_SECONDS
        while time.monotonic() < deadline:
            jobs = self.get("listjobs.json", project="tenderwatch")
            done = next((j for j in jobs["finished"] if j["id"] == job), None)
            if done:
                return (self.home / done["log_url"].lstrip("/")).read_text(errors="replace")
            time.sleep(1)
        raise AssertionError(f"job {job} did not finish in {JOB_SECONDS} s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A copy of the project files: scrapyd-deploy writes setup.py and build/ where it runs."""
    target = tmp_path_factory.mktemp("checkout")
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def egg(checkout, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("egg") / "tenderwatch.egg"
    done = subprocess.run([sys.executable, "-m", "scrapyd_client.deploy", "--build-egg", str(path)], cwd=checkout,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and path.exists(), (
        f"scrapyd-deploy could not build the egg (it builds with the installed setuptools, which must be ≥ 77 "
        f"for pyproject's SPDX licence):\n{done.stderr[-3000:]}")
    return path


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory, checkout, egg):
    """A running scrapyd with the egg deployed by scrapyd-deploy under the project name `tenderwatch`."""
    server = Scrapyd(tmp_path_factory.mktemp("scrapyd"), free_port())
    try:
        with open(checkout / "scrapy.cfg", "a") as cfg:
            cfg.write(f"\n[deploy:test]\nurl = {server.url}\nproject = tenderwatch\n")
        done = subprocess.run([sys.executable, "-m", "scrapyd_client.deploy", "test", "--egg", str(egg),
                               "--version", "r1"], cwd=checkout, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        answer = json.loads(done.stdout)
        assert answer["status"] == "ok" and answer["spiders"] >= 1, answer
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def replica_root():
    with serving(ReplicaSite()) as server:
        yield server.url


def test_the_egg_declares_the_scrapy_settings_entry_point(egg):
    with zipfile.ZipFile(egg) as z:
        entry_points = z.read("EGG-INFO/entry_points.txt").decode()
        names = set(z.namelist())
    assert "[scrapy]\nsettings = crawler.settings" in entry_points
    assert "crawler/sites/ccgp.toml" in names  # data files travel with the code
    assert any(n.startswith("storage/migrations/versions/") for n in names)


def test_scrapyd_lists_the_deployed_spiders(scrapyd):
    spiders = scrapyd.get("listspiders.json", project="tenderwatch")["spiders"]
    assert "ccgp" in spiders


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def job_database(request, tmp_path):
    """(database URL, data dir) for a job: a SQLite file in the data dir, or a PostgreSQL database."""
    data_dir = tmp_path / "data"
    if request.param == "sqlite":
        return f"sqlite:///{data_dir / 'tenderwatch.db'}", data_dir
    return request.getfixturevalue("postgres_url"), data_dir


def test_a_scheduled_job_crawls_the_replica_into_the_database(scrapyd, replica_root, job_database):
    url, data_dir = job_database
    job = scrapyd.schedule("ccgp", {"since": "2026-08-01", "site_root": replica_root, "delay": "0"},
                           {"TENDERWATCH_DATABASE_URL": url, "TENDERWATCH_DATA_DIR": str(data_dir), **FAST})
    log = scrapyd.wait(job)
    assert "Spider closed (finished)" in log, log[-4000:]
    db = Database(url)
    try:
        assert db.notice_urls() == CANONICAL
        assert db.count("attachment") == ATTACHMENTS
        (run,) = db.rows("SELECT status FROM crawlrun")
        assert run.status == "finished"
    finally:
        db.close()
    assert any((data_dir / "raw").rglob("*")), "raw blobs go to the job's data dir"
    assert not (scrapyd.home / "data").exists(), "nothing is written into Scrapyd's own directory"


def test_a_job_that_does_not_name_its_data_dir_refuses_to_start(scrapyd, replica_root):
    job = scrapyd.schedule("ccgp", {"site_root": replica_root, "delay": "0"}, {})
    log = scrapyd.wait(job)
    assert "CRITICAL: a Scrapyd job needs its data dir: schedule it with -d setting=TENDERWATCH_DATA_DIR=" in log
    assert not (scrapyd.home / "data").exists()
