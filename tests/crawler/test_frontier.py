"""Several crawl processes sharing one frontier in Redis (`tenderwatch crawl ccgp --frontier redis://…`),
crawling the replica over real HTTP into one PostgreSQL database.

Every worker is a real subprocess; the replica's request log (arrival times, each worker's User-Agent) is
what the site saw. The crawl is the replica's central channels with notices (14 notices, 10 attachments; no
keyword search, no OCR) at --delay 0.2, so each test takes well under a minute of crawling.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest
import redis
import sqlalchemy as sa

from crawler.replica.content import load_notices

from crawl_helpers import ROOT, Database, crawl_command, crawl_env

DELAY = 0.2
POLITE_DELAY = 0.5  # the politeness test's: large against the noise below
CHANNELS = "zygg/gkzb,zygg/zbgg,zygg/gzgg,zygg/cjgg"  # the central channels that have notices
NOTICES = [n for n in load_notices() if f"{n.zone}/{n.channel}" in CHANNELS.split(",")]
CANONICAL = {"https://www.ccgp.gov.cn" + n.path for n in NOTICES}
DETAIL_PATHS = {n.path for n in NOTICES}
# Workers space their requests to a host when they send them (Redis's clock); the replica times a request
# when its handler thread starts on it. Between the two lie a new connection's set-up and, on a loaded
# 2-core machine, scheduling: measured up to 0.075 s. Two requests may arrive that much closer than they left.
ARRIVAL_JITTER = 0.1


class Workers:
    """Crawl processes of one frontier, started and waited for by the test."""

    def __init__(self, database_url, data_dir, root, redis_url, prefix, *args, delay=DELAY):
        self.base = [*crawl_command(database_url, root, "--delay", str(delay), "--channels", CHANNELS, "--keywords", ""),
                     "--frontier", redis_url, "--idle-exit", "2", "--set", f"FRONTIER_KEY_PREFIX={prefix}",
                     "--set", "FRONTIER_LEASE_SECONDS=3", *args]
        self.env = dict(crawl_env(data_dir), TENDERWATCH_OCR="0")
        self.procs: dict[str, subprocess.Popen] = {}
        # The schema is made once, before the workers (on PostgreSQL they do not migrate by themselves).
        subprocess.run([sys.executable, "-m", "tenderwatch.cli", "db", "upgrade", "--database-url", database_url],
                       cwd=ROOT, env=self.env, check=True, capture_output=True, timeout=120)

    def start(self, name: str, *args: str, env: dict | None = None, own_group: bool = False) -> subprocess.Popen:
        """A worker (the options after `args` win over the base command's); `own_group`: its storing
        workers can be killed with it at once (a machine that dies)."""
        cmd = [*self.base, "--set", f"USER_AGENT=tenderwatch-test/{name}", *args]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env or self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=own_group)
        self.procs[name] = proc
        return proc

    def finish(self, timeout: float = 240) -> dict[str, tuple[int, dict]]:
        """{name: (exit code, closing summary)} of every worker not killed; their stderr in `self.stderr`."""
        done, self.stderr = {}, {}
        for name, proc in self.procs.items():
            out, err = proc.communicate(timeout=timeout)
            self.stderr[name] = err
            if proc.returncode == -signal.SIGKILL:
                continue
            try:
                done[name] = (proc.returncode, json.loads(out[out.index("{"):]))
            except ValueError:
                raise AssertionError(f"{name} printed no summary (exit {proc.returncode}):\n{out}\n{err[-4000:]}")
        return done

    def wait_for(self, condition, seconds: float = 120):
        """Until `condition()`; if the crawl does not get there, the workers' stderr says why."""
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                for proc in self.procs.values():
                    if proc.poll() is None:
                        proc.kill()
                errs = {name: proc.communicate()[1][-3000:] for name, proc in self.procs.items()}
                raise AssertionError(f"the crawl did not get there in {seconds}s: {errs}")
            time.sleep(0.1)

    def kill_all(self):
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


@pytest.fixture
def workers(postgres_url, crawl_db, replica, redis_url, redis_prefix):
    """Start a replica with the given options; returns (site, Workers into a fresh PostgreSQL database)."""
    made = []

    def start(*args, delay=DELAY, **options):
        site, root = replica(**options)
        _, data_dir, _ = crawl_db
        made.append(Workers(postgres_url, data_dir, root, redis_url, redis_prefix, *args, delay=delay))
        return site, made[-1]

    yield start
    for w in made:
        w.kill_all()


@pytest.fixture
def db(postgres_url):
    database = Database(postgres_url)
    yield database
    database.close()


def detail_fetches(site) -> Counter:
    """How often each notice page was answered (the CDN's first empty answer, which is retried, not counted)."""
    return Counter(r.path for r in site.log if r.path in DETAIL_PATHS and r.note != "empty")


def intervals(site) -> list[float]:
    times = sorted(r.at for r in site.log)
    return [b - a for a, b in zip(times, times[1:])]


def close_calls(site, delay) -> list:
    """(interval, worker, path, next worker, next path) of requests that came in closer than `delay`."""
    log = sorted(site.log, key=lambda r: r.at)
    return [(round(b.at - a.at, 3), a.agent, a.path[:40], b.agent, b.path[:40])
            for a, b in zip(log, log[1:]) if b.at - a.at < delay]


def assert_stored_once(db):
    urls = db.notice_urls()
    assert sorted(urls) == sorted(CANONICAL)  # every notice, each once
    rows = db.rows("SELECT notice_id, url, count(*) AS n FROM attachment GROUP BY notice_id, url HAVING count(*) > 1")
    assert rows == []
    expected = {(("https://www.ccgp.gov.cn" + n.path), a.label) for n in NOTICES for a in n.attachments}
    stored = {(a.notice_url, a.name) for a in db.attachments()}
    assert stored == expected and db.count("attachment") == len(expected)


def test_three_workers_share_the_crawl_each_page_fetched_once_each_notice_stored_once(workers, db):
    site, crew = workers(delay=POLITE_DELAY)
    for name in ("a", "b", "c"):
        crew.start(name)
    finished = crew.finish()

    assert {name: (code, s["status"]) for name, (code, s) in finished.items()} == {
        name: (0, "finished") for name in "abc"}, {name: s["reason"] for name, (_, s) in finished.items()}
    assert_stored_once(db)
    assert all(n == 1 for n in detail_fetches(site).values()) and set(detail_fetches(site)) == DETAIL_PATHS
    # The work was shared: every worker stored notices (none took the whole queue while the others idled).
    stored = {name: s["notices"]["new"] for name, (_, s) in finished.items()}
    assert sum(stored.values()) == len(NOTICES) and all(stored.values()), stored
    # With all three running, no two requests reached the host closer than the delay.
    agents = {r.agent for r in site.log}
    assert agents == {f"tenderwatch-test/{name}" for name in "abc"}
    assert min(intervals(site)) >= POLITE_DELAY - ARRIVAL_JITTER, close_calls(site, POLITE_DELAY)
    # Each closing summary counts its frontier work: all it took was done, nothing put back; and requests
    # waited for the host's shared delay (another worker's turn).
    counters = {name: s["frontier"] for name, (_, s) in finished.items()}
    assert all(c["taken"] and c["acked"] == c["taken"] and not c["released"] for c in counters.values()), counters
    assert sum(c["delay_waits"] for c in counters.values()) and sum(c["delay_wait_seconds"] for c in counters.values())


def test_a_finished_session_leaves_the_frontier_empty_and_the_next_crawl_reads_the_lists_again(workers, db):
    site, crew = workers("--since", "2026-01-01")  # the whole replica both times (not continuing the window)
    crew.start("first")
    crew.finish()
    lists_before = sum(1 for r in site.log if r.path.startswith("/cggg/") and r.path.endswith(".htm")
                       and r.path not in DETAIL_PATHS)

    site2_log_start = len(site.log)
    crew.procs.clear()
    crew.start("again")
    ((code, summary),) = crew.finish().values()

    assert (code, summary["status"]) == (0, "finished")
    assert summary["skipped_known"] == len(NOTICES) and summary["notices"]["new"] == 0
    later = site.log[site2_log_start:]
    assert sum(1 for r in later if r.path.startswith("/cggg/") and r.path not in DETAIL_PATHS) == lists_before
    assert not [r.path for r in later if r.path in DETAIL_PATHS]  # stored notices are not fetched again
    assert_stored_once(db)


def test_a_worker_killed_midway_loses_nothing_and_the_others_and_a_restarted_one_finish(
        workers, db, redis_url, redis_prefix):
    site, crew = workers()
    victim = crew.start("victim")
    for name in ("b", "c"):
        crew.start(name)
    deadline = time.monotonic() + 120
    while len(detail_fetches(site)) < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    in_flight = leased_paths(redis_url, redis_prefix, victim.pid)
    crew.start("restarted")
    finished = crew.finish()

    assert {name: (code, s["status"]) for name, (code, s) in finished.items()} == {
        name: (0, "finished") for name in ("b", "c", "restarted")}
    assert_stored_once(db)
    twice = {path for path, n in detail_fetches(site).items() if n > 1}
    assert twice <= in_flight  # only what the killed worker had taken was fetched again
    assert set(detail_fetches(site)) == DETAIL_PATHS


def leased_paths(redis_url: str, prefix: str, pid: int) -> set[str]:
    """The pages a worker (by pid) held leases on, read from the frontier in Redis."""
    client = redis.Redis.from_url(redis_url)
    info = client.hgetall(f"{prefix}:ccgp:lease-info")
    mine = [lease for lease, value in info.items() if value.decode().endswith(f":{pid}")]
    return {_path(data) for data in (client.hget(f"{prefix}:ccgp:leases", lease) for lease in mine) if data}


def frontier_paths(redis_url: str, prefix: str) -> set[str]:
    """The pages the frontier in Redis still holds: queued, or leased by any worker."""
    client = redis.Redis.from_url(redis_url)
    held = [*client.hvals(f"{prefix}:ccgp:leases"), *client.zrange(f"{prefix}:ccgp:requests", 0, -1)]
    return {_path(data) for data in held}


def _path(data: bytes) -> str:
    url = pickle.loads(data)["url"]
    return url[url.index("/", len("http://")):]


def assert_each_notice_served_is_stored_or_still_in_the_frontier(site, db, redis_url, prefix) -> set[str]:
    """Nothing the site served is lost: a notice not in the database is still queued or leased (the next
    worker does it). Returns the notice pages served and not stored."""
    served = set(detail_fetches(site))
    stored = {url.removeprefix("https://www.ccgp.gov.cn") for url in db.notice_urls()}
    assert served - stored <= frontier_paths(redis_url, prefix), (served - stored, frontier_paths(redis_url, prefix))
    return served - stored


class CuttableProxy:
    """A TCP proxy in front of the test's Redis that the test cuts (connections closed, new ones refused) and
    restores: the network between one worker and its frontier, going away for real."""

    def __init__(self, redis_url: str):
        parts = urlsplit(redis_url)
        self.target, self.db = (parts.hostname, parts.port or 6379), parts.path
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.listening = False
        self.restore()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}{self.db}"

    def restore(self):
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(16)
        server.settimeout(0.1)
        self.listening = True
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def cut(self):
        self.listening = False
        time.sleep(0.2)  # the accept loop closes the listening socket: new connections are refused
        with self.lock:
            for conn in self.conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()
            self.conns.clear()

    def _accept(self, server):
        with server:
            while self.listening:
                try:
                    client, _ = server.accept()
                except TimeoutError:
                    continue
                upstream = socket.create_connection(self.target)
                with self.lock:
                    self.conns += [client, upstream]
                for a, b in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        for conn in (a, b):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def test_a_redis_blip_fails_no_page_and_a_redis_gone_for_good_stops_the_worker_with_one_line(
        workers, db, redis_url, redis_prefix):
    site, crew = workers()
    proxy = CuttableProxy(redis_url)
    try:
        crew.start("alone", "--frontier", proxy.url, "--set", "FRONTIER_REDIS_PATIENCE=3")
        crew.wait_for(lambda: len(detail_fetches(site)) >= 3)
        proxy.cut()  # a blip, shorter than the patience: the worker waits for Redis and goes on
        time.sleep(1.5)
        proxy.restore()
        after_blip = len(detail_fetches(site))
        crew.wait_for(lambda: len(detail_fetches(site)) >= after_blip + 2)
        proxy.cut()  # for good
        ((code, summary),) = crew.finish(timeout=60).values()
    finally:
        proxy.cut()

    assert (code, summary["status"]) == (130, "interrupted"), summary["reason"]
    assert "frontier" in summary["reason"] and "unreachable" in summary["reason"]
    err = crew.stderr["alone"]
    assert len([line for line in err.splitlines() if " ERROR: " in line and "this worker stops" in line]) == 1
    assert "Traceback" not in err
    assert summary["frontier"]["redis_retries"] > 0
    # Neither the blip nor the end was taken for the site failing a page.
    assert summary["pages_failed"] == 0 and db.rows("SELECT url, reason FROM crawlerror") == []
    assert_each_notice_served_is_stored_or_still_in_the_frontier(site, db, redis_url, redis_prefix)


def test_a_notice_is_acked_only_once_its_batch_is_committed_so_a_machine_dying_loses_nothing(
        workers, db, redis_url, redis_prefix):
    site, crew = workers()
    # A slow commit: the database holds every COMMIT of a stored notice at a lock the test holds (a deferred
    # constraint trigger), as a slow disk or a busy storing worker would. The notices are in, not committed.
    with db.engine.begin() as conn:
        conn.execute(sa.text(
            "CREATE FUNCTION wait_for_test() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "PERFORM pg_advisory_lock_shared(4242); PERFORM pg_advisory_unlock_shared(4242); RETURN NULL; END $$"))
        conn.execute(sa.text("CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON notice DEFERRABLE INITIALLY "
                             "DEFERRED FOR EACH ROW EXECUTE FUNCTION wait_for_test()"))
    door = db.engine.connect()
    door.execute(sa.text("SELECT pg_advisory_lock(4242)"))
    try:
        proc = crew.start("dies", own_group=True)
        waiting = ("FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
                   "AND pid <> pg_backend_pid()")
        crew.wait_for(lambda: db.rows(f"SELECT pid {waiting}"))  # a commit waits
        time.sleep(2)  # its notices were stored seconds ago
        os.killpg(proc.pid, signal.SIGKILL)  # the machine dies: the crawl and its storing workers at once …
        proc.wait()
        db.rows(f"SELECT pg_terminate_backend(pid) {waiting}")  # … and its connections: no commit
    finally:
        door.close()

    lost_with_the_batch = assert_each_notice_served_is_stored_or_still_in_the_frontier(site, db, redis_url,
                                                                                      redis_prefix)
    assert lost_with_the_batch  # (the test could fail: some notices were fetched and not committed)


def test_a_worker_that_cannot_reach_the_site_leaves_its_requests_to_the_others_and_fails_none(
        workers, db, redis_url, redis_prefix):
    site, crew = workers()
    a = crew.start("a")
    queue = redis.Redis.from_url(redis_url)
    crew.wait_for(lambda: queue.zcard(f"{redis_prefix}:ccgp:requests") >= 2)
    a.send_signal(signal.SIGSTOP)  # (held while the other starts, so that shared requests wait for it)
    env = {k: v for k, v in crew.env.items() if k.lower() not in ("no_proxy", "http_proxy", "https_proxy")}
    # Its own network problem: every request it sends goes to a proxy that refuses connections.
    cut_off = crew.start("cut_off", env=dict(env, http_proxy="http://127.0.0.1:9"))
    try:
        cut_off.wait(timeout=120)
    finally:
        a.send_signal(signal.SIGCONT)
    finished = crew.finish()

    (code, summary), (_, lone) = finished["a"], finished["cut_off"]
    assert (code, summary["status"]) == (0, "finished")
    # No shared page failed (the only failure is its own homepage, which no other worker needs), and the
    # window was read whole.
    failed = db.rows("SELECT url, run_id FROM crawlerror WHERE reason NOT LIKE 'attachment%'")  # (the replica's 404)
    assert {r.run_id for r in failed} <= {lone["run_id"]} and not {r.url for r in failed} & CANONICAL, failed
    assert [r for r in failed if "/cggg/" in r.url] == []
    assert summary["window"]["end"] != summary["window"]["since"]
    assert_stored_once(db)
    # It took shared requests and put every one back, and says so.
    assert lone["status"] == "failed" and "cannot reach" in lone["reason"], lone["reason"]
    assert lone["frontier"]["taken"] and lone["frontier"]["released"] == lone["frontier"]["taken"], lone["frontier"]
    assert "none is recorded as failed" in crew.stderr["cut_off"]


def test_a_block_page_served_to_one_worker_pauses_every_worker_on_that_host(workers, db):
    backoff = 2.0
    site, crew = workers("--set", f"BLOCK_BACKOFF_SECONDS={backoff}", block_after=12, block_pages=1,
                          block_prefix="/cggg/")  # a page, not an attachment (those are not read for blocks)
    for name in ("a", "b", "c"):
        crew.start(name)
    finished = crew.finish()

    (block,) = [r for r in site.log if r.note == "blocked"]
    after = [r for r in site.log if r.at > block.at]
    assert after and min(r.at for r in after) - block.at >= backoff - ARRIVAL_JITTER  # nobody asked meanwhile
    assert {r.agent for r in after} == {f"tenderwatch-test/{name}" for name in "abc"}  # all three went on after it
    assert {name: code for name, (code, _) in finished.items()} == {name: 0 for name in "abc"}
    assert_stored_once(db)
    assert len(db.rows("SELECT * FROM crawlerror WHERE reason = 'blocked'")) == 1


def test_a_blocked_stop_stops_every_worker_and_each_run_says_why(workers, db):
    site, crew = workers("--set", "BLOCK_BACKOFF_SECONDS=0.3", "--set", "BLOCK_MAX_COUNT=2", block_after=10)
    for name in ("a", "b", "c"):
        crew.start(name)
    finished = crew.finish()

    assert {name: code for name, (code, _) in finished.items()} == {name: 3 for name in "abc"}
    for _, summary in finished.values():
        assert summary["status"] == "blocked" and "频繁访问" in summary["reason"], summary["reason"]
    runs = db.rows("SELECT status, stats FROM crawlrun")
    assert len(runs) == 3 and {r.status for r in runs} == {"blocked"}


def test_an_unreachable_frontier_is_one_line_and_exit_1(crawl_db):
    url, data_dir, _ = crawl_db
    cmd = [*crawl_command(url, "http://127.0.0.1:9"), "--frontier", "redis://127.0.0.1:1/3"]
    proc = subprocess.run(cmd, cwd=ROOT, env=crawl_env(data_dir), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and "cannot reach the frontier" in proc.stderr
    assert "Traceback" not in proc.stderr
