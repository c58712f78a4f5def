"""The batch-size rule of the flows (pure functions)."""

from __future__ import annotations

import math

import pytest

from pastas_projects.flows.batching import (
    MAX_BATCHES_PER_WORKER,
    SMALLEST_TAIL_SHARE,
    TASK_OVERHEAD,
    make_batches,
    plan_batches,
    split,
    taper,
    target_batch_size,
)


def overhead_share(size: int, seconds: float = 0.09) -> float:
    return TASK_OVERHEAD / (TASK_OVERHEAD + size * seconds)


def test_target_keeps_orchestration_a_few_percent():
    size = target_batch_size()
    assert overhead_share(size) <= 0.03 < overhead_share(size - 1)
    assert target_batch_size(seconds_per_item=0.9) < size < target_batch_size(0.009)
    with pytest.raises(ValueError):
        target_batch_size(seconds_per_item=0)


@pytest.mark.parametrize(
    ("n", "workers", "expected"),
    [
        (0, 2, []),
        (1, 2, [1]),
        (3, 2, [2, 1]),
        (5, 2, [3, 2]),
        (6, 4, [2, 2, 1, 1]),
        (54, 2, [14, 14, 7, 7, 6, 6]),
        (100, 2, [25, 25, 13, 13, 6, 6, 6, 6]),
        (100, 1, [34, 33, 33]),
    ],
)
def test_small_and_medium_runs(n, workers, expected):
    assert plan_batches(n, workers) == expected


def test_thousand_models_on_two_workers():
    sizes = plan_batches(1000, 2)
    assert sizes[-6:] == [13, 13, 7, 7, 6, 6]  # the last wave, tapered
    body = sizes[:-6]
    assert 30 <= len(body) <= 40 and len(body) % 2 == 0
    assert max(body) - min(body) <= 1 and sum(sizes) == 1000
    assert overhead_share(min(body)) < 0.035


def test_taper_cuts_the_last_wave_in_halves():
    assert taper([27, 27, 26, 26], 2, 4) == [27, 27, 13, 13, 7, 7, 6, 6]
    assert taper([27, 27, 26, 26], 2, 7) == [27, 27, 13, 13, 13, 13]
    assert taper([27, 27, 26, 26], 2, 14) == [27, 27, 26, 26]
    assert taper([5, 5, 5], 3, 1) == [3, 3, 3, 1, 1, 1, 1, 1, 1]
    assert taper([30, 30], 1, 1) == [30, 30]  # one worker: nothing to even out
    assert taper([30], 2, 1) == [30]


@pytest.mark.parametrize("n", [1, 2, 7, 10, 99, 1000, 4321, 100_000])
@pytest.mark.parametrize("workers", [1, 2, 3, 8])
def test_invariants(n, workers):
    sizes = plan_batches(n, workers)
    assert sum(sizes) == n and all(s >= 1 for s in sizes)
    assert sizes == sorted(sizes, reverse=True)
    smallest = math.ceil(target_batch_size() * SMALLEST_TAIL_SHARE)
    assert min(sizes) >= min(smallest, n // max(len(sizes), 1))
    assert len(sizes) >= min(n, workers)  # every worker gets work when there is enough
    assert len(sizes) <= MAX_BATCHES_PER_WORKER * workers * 2  # doubled at most by the taper
    if n >= workers * target_batch_size():  # then whole waves of batches
        assert len(sizes) % workers == 0


def test_fixed_batch_size_is_an_upper_bound_and_balanced():
    assert plan_batches(10, 2, batch_size=4) == [4, 3, 3]
    assert plan_batches(10, 2, batch_size=1) == [1] * 10
    assert plan_batches(3, 2, batch_size=100) == [3]
    with pytest.raises(ValueError):
        plan_batches(3, 2, batch_size=0)
    with pytest.raises(ValueError):
        plan_batches(3, 0)
    with pytest.raises(ValueError):
        plan_batches(-1, 2)


def test_split_and_make_batches():
    names = [f"m{i}" for i in range(7)]
    assert split(names, [4, 3]) == [names[:4], names[4:]]
    with pytest.raises(ValueError):
        split(names, [3, 3])
    batches = make_batches(names, 2)
    assert [n for b in batches for n in b] == names and len(batches) == 2
    assert make_batches(names, 2, batch_size=2) == [names[:2], names[2:4], names[4:6], names[6:]]
    # cheaper items (ingest) go in bigger batches than solves
    assert len(make_batches(list(range(3000)), 2, step="ingest")) < len(
        make_batches(list(range(3000)), 2, step="solve")
    )
