"""Doing things at the same moment from several threads, each with its own
database connection, as several workers serving requests at once would.

Only PostgreSQL runs them truly at once: SQLite's test database is one
connection, so tests using this are marked to run on PostgreSQL only.
"""

import threading
from collections.abc import Callable
from typing import TypeVar

import pytest
from django.db import connection

T = TypeVar("T")

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's test database is one connection"
)


def at_once(tasks: list[Callable[[], T]]) -> list[T]:
    """Run every task on its own thread, all released together; their results, in order."""
    start = threading.Barrier(len(tasks))
    results: list[T | None] = [None] * len(tasks)
    failures: list[BaseException] = []

    def work(number: int) -> None:
        try:
            start.wait()
            results[number] = tasks[number]()
        except BaseException as exc:  # reported below, on the test's own thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=[n]) for n in range(len(tasks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return results  # type: ignore[return-value]
