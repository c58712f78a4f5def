"""How many models go into one Prefect task: a pure rule, tested on its own.

Every Prefect task on a Dask worker costs tens of milliseconds of orchestration
(creating the task run, state changes, events, logs): about as much as solving one
small Pastas model. One task per model would spend half the time on orchestration.
:func:`plan_batches` puts enough models in one task to keep that overhead a few
percent of the work, while still giving every worker work, balancing the batch
sizes and keeping several batches per worker (so progress moves, load evens out and
a killed worker loses little). The last wave of batches is cut into smaller ones, so
the workers finish together instead of one idling while another solves a whole
batch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

TASK_OVERHEAD = 0.075
"""Seconds of Prefect orchestration per task on a Dask worker (Prefect 3, measured on
two cores; ``benchmarks/RESULTS.md`` holds the current figure)."""

SECONDS_PER_ITEM = {
    "ingest": 0.02,
    "build": 0.05,
    "solve": 0.09,
    "statistics": 0.005,
    "copy": 0.01,
}
"""Typical seconds of work per item of each step (solve: one Pastas model)."""

MAX_OVERHEAD = 0.03
"""Largest share of orchestration in a task's time that the rule aims for."""

MAX_BATCHES_PER_WORKER = 64
"""Cap on batches per worker, so huge runs do not create 10,000s of task runs."""

SMALLEST_TAIL_SHARE = 1 / 8
"""Tail batches are not cut below this share of the target batch size."""


def target_batch_size(
    seconds_per_item: float = SECONDS_PER_ITEM["solve"],
    task_overhead: float = TASK_OVERHEAD,
    max_overhead: float = MAX_OVERHEAD,
) -> int:
    """Smallest batch whose orchestration stays within ``max_overhead`` of its time.

    Parameters
    ----------
    seconds_per_item : float
        Work per item (e.g. one model solve), in seconds.
    task_overhead : float
        Orchestration per task, in seconds.
    max_overhead : float
        Wanted upper bound of ``overhead / (overhead + work)``, e.g. 0.03.

    Returns
    -------
    int
        The batch size, at least 1. With the defaults: 27 models (3.0 %).

    """
    if seconds_per_item <= 0 or task_overhead < 0 or not 0 < max_overhead < 1:
        raise ValueError("need seconds_per_item > 0, task_overhead >= 0, 0 < max_overhead < 1")
    # overhead / (overhead + size * work) <= max  <=>  size >= overhead (1 - max) / (max work)
    size = task_overhead * (1 - max_overhead) / (max_overhead * seconds_per_item)
    return max(1, math.ceil(size - 1e-9))


def plan_batches(
    n: int,
    workers: int,
    batch_size: int | None = None,
    seconds_per_item: float = SECONDS_PER_ITEM["solve"],
    task_overhead: float = TASK_OVERHEAD,
    max_overhead: float = MAX_OVERHEAD,
) -> list[int]:
    """Sizes of the batches for ``n`` items on ``workers`` workers.

    The rule:

    1. With ``batch_size`` given: ``ceil(n / batch_size)`` batches.
    2. Else: as many batches of at least :func:`target_batch_size` items as fit
       (``n // target``), then rounded to the nearest multiple of ``workers`` (so the
       last wave keeps every worker busy), at least ``workers`` batches (every worker
       gets work even when ``n`` is small) and at most
       ``MAX_BATCHES_PER_WORKER * workers``.
    3. Never more batches than items; sizes differ by at most one (largest first).
    4. Without ``batch_size``, the last wave (``workers`` batches) is cut in halves,
       and the last half-wave again, while the halves keep at least
       :data:`SMALLEST_TAIL_SHARE` of the target size (see :func:`taper`): the
       workers then finish within a small batch of each other. One worker gets no
       tapering.

    Examples: ``n=5, workers=2`` gives ``[3, 2]``; ``n=1000, workers=2`` gives 36
    batches of 26-27, then ``13, 13, 7, 7, 6, 6``; ``n=100, workers=2`` gives
    ``[25, 25, 13, 13, 6, 6, 6, 6]``.

    Parameters
    ----------
    n : int
        Number of items (models, series).
    workers : int
        Number of Dask worker threads that run tasks at the same time.
    batch_size : int, optional
        Fixed largest batch size instead of the automatic rule.
    seconds_per_item, task_overhead, max_overhead : float
        See :func:`target_batch_size`.

    Returns
    -------
    list of int
        Batch sizes adding up to ``n`` (empty for ``n == 0``).

    """
    if n < 0:
        raise ValueError(f"n must be >= 0, not {n}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, not {workers}")
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be >= 1 or None, not {batch_size}")
    if n == 0:
        return []
    if batch_size is not None:
        count = math.ceil(n / batch_size)
    else:
        target = target_batch_size(seconds_per_item, task_overhead, max_overhead)
        count = n // target
        count = max(workers, workers * math.floor(count / workers + 0.5))
        count = min(count, MAX_BATCHES_PER_WORKER * workers)
    count = min(count, n)
    size, extra = divmod(n, count)
    sizes = [size + 1] * extra + [size] * (count - extra)
    if batch_size is None:
        sizes = taper(sizes, workers, max(1, math.ceil(target * SMALLEST_TAIL_SHARE)))
    return sizes


def taper(sizes: list[int], workers: int, smallest: int) -> list[int]:
    """Cut the last wave of batches into ever smaller ones.

    Workers take batches in order. Without tapering, one worker may still be
    solving a whole batch when the others have run out of work; with halves and
    quarters at the end, they finish within a small batch of each other, at the cost
    of a few more (cheap) tasks.

    Parameters
    ----------
    sizes : list of int
        Batch sizes, largest first.
    workers : int
        Worker threads running batches at the same time.
    smallest : int
        No batch is cut into halves smaller than this.

    Returns
    -------
    list of int
        Sizes with the same total, largest first.

    """
    if workers < 2 or len(sizes) < workers:  # one worker waits for no other
        return list(sizes)
    head, wave = list(sizes[:-workers]), list(sizes[-workers:])
    while min(wave) >= 2 * smallest:
        head += [math.ceil(s / 2) for s in wave]
        wave = [s // 2 for s in wave]
    return head + wave


def split(items: Sequence[T], sizes: Sequence[int]) -> list[list[T]]:
    """Cut ``items`` into consecutive batches of the given sizes.

    Parameters
    ----------
    items : sequence
        The items, e.g. model names.
    sizes : sequence of int
        Batch sizes, e.g. from :func:`plan_batches`; must add up to ``len(items)``.

    Returns
    -------
    list of list

    """
    if sum(sizes) != len(items):
        raise ValueError(f"batch sizes add up to {sum(sizes)}, not to {len(items)} items")
    batches, start = [], 0
    for size in sizes:
        batches.append(list(items[start : start + size]))
        start += size
    return batches


def make_batches(
    items: Sequence[T],
    workers: int,
    batch_size: int | None = None,
    step: str = "solve",
) -> list[list[T]]:
    """Split items into batches for a step (``ingest``, ``build``, ``solve``, ...).

    Parameters
    ----------
    items : sequence
        The items.
    workers : int
        Worker threads running at the same time.
    batch_size : int, optional
        Fixed largest batch size (default: automatic, see :func:`plan_batches`).
    step : str
        Picks the typical work per item from :data:`SECONDS_PER_ITEM`.

    Returns
    -------
    list of list

    """
    seconds = SECONDS_PER_ITEM.get(step, SECONDS_PER_ITEM["solve"])
    return split(items, plan_batches(len(items), workers, batch_size, seconds))
