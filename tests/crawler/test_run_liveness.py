"""A `running` run row whose process is gone becomes `interrupted` (issue 18, item 7): decided from the row's
host and pid on the same machine, from its heartbeat's age otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest

from models.tables import utcnow
from storage.runs import close_lost_runs, this_process
from storage.store import Store


@pytest.fixture
def store(database_url, tmp_path):
    s = Store.open(database_url, blob_dir=tmp_path / "raw")
    yield s
    s.close()


def _set(store, run_id, **values):
    from models.tables import CrawlRun

    with store.engine.begin() as conn:
        conn.execute(CrawlRun.__table__.update().where(CrawlRun.__table__.c.id == run_id).values(**values))


def _status(store, run_id):
    return {r.id: r for r in store.running_runs()}.get(run_id)


def test_a_run_of_a_process_that_exited_is_interrupted_and_a_live_one_is_left_alone(store):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host, me = this_process()
    dead_run = store.start_run("ccgp", {}, host=host, pid=gone.pid)
    live_run = store.start_run("ccgp", {})  # this process
    closed = close_lost_runs(store, stale_seconds=300)
    assert [(run_id, why) for run_id, _, why in closed] == [(dead_run, f"its process {gone.pid} on {host} is gone")]
    assert _status(store, dead_run) is None and _status(store, live_run).pid == me


def test_a_pid_reused_by_a_later_process_does_not_keep_a_run_alive(store):
    host, me = this_process()
    run = store.start_run("ccgp", {}, host=host, pid=os.getppid())  # a live process …
    assert close_lost_runs(store, stale_seconds=300) == []
    # … that started years after the run did: another program under a reused pid
    _set(store, run, started_at=utcnow() - timedelta(days=3650))
    assert [r[0] for r in close_lost_runs(store, stale_seconds=300)] == [run]


def test_a_run_of_another_host_is_interrupted_only_when_its_heartbeat_is_stale(store):
    fresh = store.start_run("ccgp", {}, host="elsewhere", pid=1)
    stale = store.start_run("ccgp", {}, host="elsewhere", pid=1)
    _set(store, stale, heartbeat_at=utcnow() - timedelta(seconds=600))
    store.heartbeat(fresh, {"pages": 3})
    closed = close_lost_runs(store, stale_seconds=300)
    assert [r[0] for r in closed] == [stale] and "no sign of life since" in closed[0][2]
    assert _status(store, fresh).stats == {"pages": 3}


def test_failed_notice_pages_are_listed_with_their_list_meta_and_how_often_they_failed(store):
    first, second = store.start_run("ccgp", {}), store.start_run("ccgp", {})
    other = store.start_run("ggzy", {})
    page = "https://www.ccgp.gov.cn/cggg/dfgg/gkzb/202609/t20260901_1.htm"
    store.record_error(first, page, "timeout", retry_meta={"title": "算力租赁"})
    store.record_error(second, page, "http_403", retry_meta={"title": "算力租赁"})
    store.record_error(second, "https://www.ccgp.gov.cn/cggg/dfgg/gkzb/index_1.htm", "timeout")  # a list page
    store.record_error(other, "https://www.ggzy.gov.cn/x.html", "timeout", retry_meta={})
    assert store.failed_notice_pages("ccgp") == [(page, {"title": "算力租赁"}, 2)]
