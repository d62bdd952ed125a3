"""How a worker takes its requests (web/serving.py): pages one at a time in arrival order, and, with several
workers, a connection closed after its answer when its worker holds more than its share of the requests."""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
import time

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from web.serving import LoadBoard, Rebalance, Turns
from web.views.common import page_router


def timed_site(work_seconds: float, slots: int = 1) -> tuple[FastAPI, list[tuple[int, float, float]]]:
    """A site with one page whose work takes `work_seconds` of wall time, `slots` at a time; it records
    (n, start, end) per call."""
    router = page_router()
    calls: list[tuple[int, float, float]] = []

    @router.get("/work/{n}")
    def work(n: int):
        start = time.perf_counter()
        time.sleep(work_seconds)
        calls.append((n, start, time.perf_counter()))
        return PlainTextResponse(str(n))

    app = FastAPI()
    app.state.turns = Turns(slots)
    app.include_router(router)
    return app, calls


def test_a_workers_pages_run_one_at_a_time_in_the_order_they_arrived():
    app, calls = timed_site(0.05)

    async def main():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://site") as client:
            tasks = []
            for n in range(6):
                tasks.append(asyncio.create_task(client.get(f"/work/{n}")))
                await asyncio.sleep(0.005)  # each arrives while the first is still working
            return [r.text for r in await asyncio.gather(*tasks)]

    assert asyncio.run(main()) == [str(n) for n in range(6)]
    assert [n for n, _, _ in calls] == list(range(6))  # first come, first served
    for (_, _, end), (_, start, _) in zip(calls, calls[1:]):
        assert start >= end  # never two at once


def test_a_worker_with_two_slots_runs_two_pages_at_once_and_starts_them_in_arrival_order():
    app, calls = timed_site(0.1, slots=2)

    async def main():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://site") as client:
            tasks = []
            for n in range(6):
                tasks.append(asyncio.create_task(client.get(f"/work/{n}")))
                await asyncio.sleep(0.02)  # 0 and 1 start at once, 2 when 0 ends, 3 when 1 ends …
            await asyncio.gather(*tasks)

    asyncio.run(main())
    starts = sorted(calls, key=lambda c: c[1])
    assert [n for n, _, _ in starts] == list(range(6))
    for _, start, _ in calls:  # never more than two at once
        assert sum(1 for _, s, e in calls if s <= start < e) <= 2
    assert any(s < e for (_, _, e), (_, s, _) in zip(starts, starts[1:]))  # but two at once they were


def test_without_turns_pages_run_side_by_side():
    app, calls = timed_site(0.05)
    del app.state.turns

    async def main():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://site") as client:
            await asyncio.gather(*(client.get(f"/work/{n}") for n in range(4)))

    asyncio.run(main())
    assert any(start < end for (_, _, end), (_, start, _) in zip(calls, calls[1:]))  # the order above can fail


def _other_worker(path: str, joined, done) -> None:
    LoadBoard.join(path)
    joined.set()
    done.wait(60)


def rebalanced_site(board: LoadBoard, slots: int = 1) -> tuple[Rebalance, threading.Event]:
    """A site whose page waits for `release`, behind Rebalance on `board`, taking `slots` pages at once."""
    release = threading.Event()
    app = FastAPI()

    @app.get("/wait")
    def wait():
        release.wait(10)
        return PlainTextResponse("ok")

    return Rebalance(app, board, slots), release


async def two_at_once(app) -> list[httpx.Response]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://site") as client:
        first = asyncio.create_task(client.get("/wait"))
        second = asyncio.create_task(client.get("/wait"))
        await asyncio.sleep(0.2)  # both in progress
        return [await first, await second]


@pytest.mark.parametrize("slots, closes", [(1, True), (2, False)], ids=["requests-waiting", "none-waiting"])
def test_a_worker_holding_more_than_its_share_with_requests_waiting_closes_the_connection_after_answering(
        tmp_path, slots, closes):
    """Two requests in progress here and none in the other worker: more than this worker's share, and with one
    page at a time one of them waits, so a client is sent to reconnect; with two at a time none waits."""
    path = LoadBoard.create(str(tmp_path))
    ctx = multiprocessing.get_context("spawn")
    joined, done = ctx.Event(), ctx.Event()
    other = ctx.Process(target=_other_worker, args=(path, joined, done))
    other.start()
    try:
        assert joined.wait(60)
        board = LoadBoard.join(path)
        app, release = rebalanced_site(board, slots)

        async def main():
            task = asyncio.create_task(two_at_once(app))
            await asyncio.sleep(0.3)
            assert board.load == 2 and board.over_share()  # two in progress here, none in the other worker
            release.set()
            return await task

        responses = asyncio.run(main())
        assert ("close" in [r.headers.get("connection") for r in responses]) is closes
        assert board.load == 0
    finally:
        done.set()
        other.join(30)


def test_a_lone_worker_keeps_its_connections(tmp_path):
    board = LoadBoard.join(LoadBoard.create(str(tmp_path)))
    app, release = rebalanced_site(board)
    release.set()
    responses = asyncio.run(two_at_once(app))
    assert [r.headers.get("connection") for r in responses] == [None, None]


def test_a_worker_that_stops_leaves_the_board(tmp_path):
    board = LoadBoard.join(LoadBoard.create(str(tmp_path)))
    board.add(3)
    board.leave()
    assert LoadBoard(board.path)._cells[:2].tolist() == [0, 0]


def test_a_dead_workers_slot_is_taken_by_its_replacement(tmp_path):
    path = LoadBoard.create(str(tmp_path))
    ctx = multiprocessing.get_context("spawn")
    joined, done = ctx.Event(), ctx.Event()
    gone = ctx.Process(target=_other_worker, args=(path, joined, done))
    gone.start()
    assert joined.wait(60)
    gone.kill()  # no time to leave the board
    gone.join(30)
    assert LoadBoard(path)._cells[0] == gone.pid
    assert LoadBoard.join(path).slot == 0
