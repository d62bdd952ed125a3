"""How a worker process takes its requests: pages in arrival order, as many at once as it has cores; and, with
several workers, how their keep-alive connections are kept evenly spread.

A page's work is CPU-bound (search, facets, templates). Run many at once and the cores are shared among them:
a 200 ms search with seven others beside it on its core takes 1.6 s. Taken in arrival order, one per core
(`PageRoute`: the handler waits its turn at the worker's `Turns`, `page_slots` at a time), a request waits for
those ahead of it and then runs at full speed, so under load every request waits about (requests waiting) ×
(mean work) ÷ cores and a slow search adds only its own time — the model of a pre-fork server's synchronous
workers. The event loop stays free meanwhile (parsing requests, static files, sending answers, streamed
exports).

Several workers share the listening socket; a client's keep-alive connection stays with the worker that
accepted it, and the kernel hands a burst of new connections to whichever worker wakes first. A worker with
ten connections beside one with six makes its clients wait ten turns instead of eight. `LoadBoard` is a small
shared table (one slot per worker: pid and requests in progress); a worker with more than its share of the
requests in progress answers `Connection: close` (`Rebalance`), and the client's next connection goes to
whichever worker accepts it — the way load balancers drain long-lived connections to even them out. HTTP
clients reconnect on their own; one reconnection costs well under a millisecond on a local network.
"""

from __future__ import annotations

import asyncio
import atexit
import fcntl
import math
import mmap
import os
import weakref
from typing import Callable

from fastapi import Request
from fastapi.routing import APIRoute

from storage.runs import pid_exists

BOARD_ENV = "TENDERWATCH_SERVE_BOARD"  # the shared table's file, set by `tenderwatch serve --workers N`
WORKERS_ENV = "TENDERWATCH_SERVE_WORKERS"  # how many workers `tenderwatch serve` runs (default 1)
SLOT = 16  # bytes per worker: pid, requests in progress (two int64)
MAX_WORKERS = 64  # as `serve --workers` allows


class Turns:
    """The worker's queue for page work: `slots` at a time, first come first served (asyncio.Semaphore wakes its
    waiters in order and lets no newcomer pass them). One per event loop (the test client runs one loop per
    client)."""

    def __init__(self, slots: int = 1):
        self.slots = slots
        self._queues: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __call__(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = asyncio.Semaphore(self.slots)
        return queue


def cores() -> int:
    """The CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def page_slots(workers: int | None = None) -> int:
    """Pages one worker works on at once: its share of the cores, at least one (`workers`: how many worker processes
    serve, by default WORKERS_ENV, which `serve --workers N` sets for its workers). Fewer workers than cores (as
    `--workers 1`) still use them all in part: the database driver runs queries without the interpreter lock."""
    if workers is None:
        workers = int(os.environ.get(WORKERS_ENV, "1") or 1)
    return max(1, cores() // max(1, workers))


class PageRoute(APIRoute):
    """A route whose handler (parameters, the page's data, rendering) runs in the worker's turn
    (`app.state.turns`). A streamed response (an export) streams after the turn, batch by batch."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def in_turn(request: Request):
            turns = getattr(request.app.state, "turns", None)
            if turns is None:
                return await handler(request)
            async with turns():
                return await handler(request)

        return in_turn


class LoadBoard:
    """The workers' shared table: each worker's pid and requests in progress, in a file mapped into every
    worker (`create` in the parent, `join` in each worker). A worker writes only its own slot."""

    def __init__(self, path: str, slot: int | None = None):
        self.path = path
        fd = os.open(path, os.O_RDWR)
        try:
            self._map = mmap.mmap(fd, SLOT * MAX_WORKERS)
        finally:
            os.close(fd)
        self._cells = memoryview(self._map).cast("q")  # [pid0, load0, pid1, load1, …]
        self.slot = slot
        self.load = 0

    @classmethod
    def create(cls, directory: str | None = None) -> str:
        """A new, empty table file; its path (for BOARD_ENV)."""
        import tempfile

        fd, path = tempfile.mkstemp(prefix="tenderwatch-serve-", suffix=".board", dir=directory)
        os.write(fd, bytes(SLOT * MAX_WORKERS))
        os.close(fd)
        return path

    @classmethod
    def join(cls, path: str) -> "LoadBoard":
        """This process's slot: a free one, or one whose worker has died (a replacement takes its place)."""
        with open(path, "rb+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)  # workers start together; one claims at a time
            board = cls(path)
            cells = board._cells
            for i in range(MAX_WORKERS):
                pid = cells[2 * i]
                if pid == 0 or pid == os.getpid() or not pid_exists(pid):
                    cells[2 * i], cells[2 * i + 1] = os.getpid(), 0
                    board.slot = i
                    atexit.register(board.leave)  # a worker stopped (or replaced) counts no more
                    return board
        raise RuntimeError(f"more than {MAX_WORKERS} workers on {path}")

    def leave(self) -> None:
        if self._cells[2 * self.slot] == os.getpid():
            self._cells[2 * self.slot + 1] = 0
            self._cells[2 * self.slot] = 0

    def add(self, delta: int) -> None:
        self.load += delta
        self._cells[2 * self.slot + 1] = self.load

    def over_share(self) -> bool:
        """Whether this worker holds more than its share of the requests in progress (its own included). A worker
        killed without leaving the board (SIGKILL, out of memory) counts no more."""
        cells = self._cells
        workers = total = 0
        for i in range(MAX_WORKERS):
            pid = cells[2 * i]
            if pid and (i == self.slot or pid_exists(pid)):
                workers += 1
                total += max(0, cells[2 * i + 1])
        return workers > 1 and self.load > math.ceil(total / workers)


class Rebalance:
    """ASGI middleware: counts this worker's requests in progress on the board, and closes the connection
    after a response when the worker holds more than its share and more than it takes at once (requests are
    waiting for a turn): the client reconnects to any worker."""

    def __init__(self, app, board: LoadBoard, slots: int):
        self.app = app
        self.board = board
        self.slots = slots  # requests this worker takes at once: only more than that can wait for a turn

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        board = self.board
        board.add(1)

        async def send_balanced(message):
            if message["type"] == "http.response.start" and board.load > self.slots and board.over_share():
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        try:
            await self.app(scope, receive, send_balanced)
        finally:
            board.add(-1)


def board_from_environment() -> LoadBoard | None:
    path = os.environ.get(BOARD_ENV)
    return LoadBoard.join(path) if path else None
