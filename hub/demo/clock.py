"""Running the demo's history in date order. Each step runs through the hub's own services at
its own date (time-machine moves the clock the services read), so every row, and every audit
event with it, carries the date the step happened: the audit chain stays in time order and
intact, and the metrics see a year. The hub's code is unchanged; only this clock is moved."""

import heapq
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count

import time_machine
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.test.utils import override_settings

from matching.index import bank_index

Step = Callable[[], object]  # a step's result is not used


@dataclass(order=True)
class _Scheduled:
    at: datetime
    order: int
    step: Step = field(compare=False)


class DemoClock:
    """A queue of steps by date. A step may schedule later ones (a report, then its decision)."""

    def __init__(self, traveller: time_machine.Traveller) -> None:
        self._traveller = traveller
        self._queue: list[_Scheduled] = []
        self._order = count()

    def at(self, when: datetime, step: Step) -> None:
        heapq.heappush(self._queue, _Scheduled(when, next(self._order), step))

    def move_to(self, when: datetime) -> None:
        self._traveller.move_to(when)

    def run_until(self, end: datetime) -> None:
        """Run every step due by ``end``, in date order (ties in the order scheduled)."""
        while self._queue and self._queue[0].at <= end:
            scheduled = heapq.heappop(self._queue)
            self._traveller.move_to(scheduled.at)
            scheduled.step()


@contextmanager
def demo_clock(start: datetime) -> Iterator[DemoClock]:
    """The clock at ``start``, standing still between steps. The process's bank index follows
    the bank by modification time, so it is dropped before and after: history dated in the
    past must not land behind an index loaded at today's date."""
    bank_index.reset()
    try:
        with time_machine.travel(start, tick=False) as traveller:
            yield DemoClock(traveller)
    finally:
        bank_index.reset()


class DemoPinHasher(PBKDF2PasswordHasher):
    """PBKDF2 with few iterations, for the demo cases' PINs only: a year of cases then seeds in
    seconds. The stored hash names its iteration count, so the standard hasher verifies it."""

    iterations = 1000


@contextmanager
def demo_pin_hashing() -> Iterator[None]:
    hashers = [f"{DemoPinHasher.__module__}.{DemoPinHasher.__qualname__}", *settings.PASSWORD_HASHERS]
    with override_settings(PASSWORD_HASHERS=hashers):
        yield


@contextmanager
def quiet_task_log() -> Iterator[None]:
    """Hundreds of in-process tasks would each log a line; the demo's output is its logins."""
    logger = logging.getLogger("celery.app.trace")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextmanager
def sqlite_unsynced() -> Iterator[None]:
    """On the local SQLite demo database, commit without waiting for the disk (PRAGMA
    synchronous=OFF, this connection only): a year of history is some two thousand commits,
    and a demo database lost to a power cut mid-seed is simply seeded again. (Inside an outer
    transaction, as in tests, nothing commits and the setting cannot change.)"""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        previous = cursor.execute("PRAGMA synchronous").fetchone()[0]
        cursor.execute("PRAGMA synchronous = OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous = {int(previous)}")
