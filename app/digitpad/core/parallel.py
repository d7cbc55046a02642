"""Chunks of CPU-bound drawing work spread over worker processes."""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from collections.abc import Callable, Sequence
from typing import TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")


def map_chunks(fn: Callable[[Job], Result], jobs: Sequence[Job], workers: int | None = None) -> list[Result]:
    """``[fn(job) for job in jobs]``, in order, in up to ``workers`` processes (default: up to 4).

    One job or one worker runs in this process: no pool to start for a small collection.
    """
    workers = workers or min(4, os.cpu_count() or 1)
    if workers <= 1 or len(jobs) <= 1:
        return [fn(job) for job in jobs]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(fn, jobs))
