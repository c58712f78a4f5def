"""The batch-size rule of the flows (pure functions)."""

from __future__ import annotations

import pytest

from pastas_projects.flows.batching import (
    MAX_BATCHES_PER_WORKER,
    TASK_OVERHEAD,
    make_batches,
    plan_batches,
    split,
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
        (54, 2, [27, 27]),
        (100, 2, [25, 25, 25, 25]),
    ],
)
def test_small_and_medium_runs(n, workers, expected):
    assert plan_batches(n, workers) == expected


def test_thousand_models_on_two_workers():
    sizes = plan_batches(1000, 2)
    assert 30 <= len(sizes) <= 40 and len(sizes) % 2 == 0
    assert max(sizes) - min(sizes) <= 1 and sum(sizes) == 1000
    assert overhead_share(min(sizes)) < 0.035


@pytest.mark.parametrize("n", [1, 2, 7, 10, 99, 1000, 4321, 100_000])
@pytest.mark.parametrize("workers", [1, 2, 3, 8])
def test_invariants(n, workers):
    sizes = plan_batches(n, workers)
    assert sum(sizes) == n and all(s >= 1 for s in sizes)
    assert max(sizes) - min(sizes) <= 1 and sizes == sorted(sizes, reverse=True)
    assert len(sizes) >= min(n, workers)  # every worker gets work when there is enough
    assert len(sizes) <= MAX_BATCHES_PER_WORKER * workers
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
