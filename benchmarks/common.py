"""Shared helpers for the benchmark scripts in this folder.

* :func:`make_parser` -- the common command line (``--n``, ``--workers``, ``--quick``,
  ``--json PATH``);
* :func:`measure` -- median wall-clock time of a callable (``time.perf_counter``,
  warm-up calls excluded);
* :func:`print_table` -- an operation x backend table of milliseconds.

The machine the results come from, their JSON and the MongoDB-wire server are in
``machine.py``.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


# ---------------------------------------------------------------------- command line
def make_parser(description: str, default_n: int, quick_n: int) -> argparse.ArgumentParser:
    """Return the command-line parser every benchmark script shares.

    Parameters
    ----------
    description : str
        What the script measures (shown by ``--help``).
    default_n : int
        Default problem size (``--n``) of a full run.
    quick_n : int
        Problem size with ``--quick`` (unless ``--n`` is given).

    Returns
    -------
    argparse.ArgumentParser
        Call :func:`finish_args` on what it parses to fill in ``n``.

    """
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument(
        "--n",
        type=int,
        default=None,
        help=f"problem size (default {default_n:,}; {quick_n:,} with --quick)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=max(1, min(2, os.cpu_count() or 1)),
        help="processes for the parts that may run in parallel",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller problem and fewer repetitions"
    )
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="write results")
    parser.set_defaults(_default_n=default_n, _quick_n=quick_n)
    return parser


def finish_args(args: argparse.Namespace) -> argparse.Namespace:
    """Fill in ``args.n`` from ``--quick`` and check the common arguments."""
    if args.n is None:
        args.n = args._quick_n if args.quick else args._default_n
    if args.n < 1:
        raise SystemExit(f"--n must be at least 1, not {args.n}")
    if args.workers < 1:
        raise SystemExit(f"--workers must be at least 1, not {args.workers}")
    return args


# ---------------------------------------------------------------------- timing
@dataclass
class Timing:
    """Wall-clock times of the timed (not warm-up) calls of one measurement, in seconds."""

    times: list[float] = field(default_factory=list)
    warmup: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times else math.nan

    @property
    def min(self) -> float:
        return min(self.times) if self.times else math.nan

    @property
    def max(self) -> float:
        return max(self.times) if self.times else math.nan

    def as_dict(self) -> dict[str, Any]:
        """Milliseconds, for JSON."""
        return {
            "median_ms": _ms(self.median),
            "min_ms": _ms(self.min),
            "max_ms": _ms(self.max),
            "reps": len(self.times),
            "warmup": self.warmup,
            "times_ms": [_ms(t) for t in self.times],
        }


def _ms(seconds: float) -> float | None:
    return None if math.isnan(seconds) else round(seconds * 1000.0, 4)


def measure(
    fn: Callable[[int], object],
    reps: int,
    warmup: int = 1,
    min_reps: int = 3,
    budget_s: float | None = None,
    setup: Callable[[int], object] | None = None,
    teardown: Callable[[Any], object] | None = None,
) -> Timing:
    """Time ``fn(i)`` ``reps`` times after ``warmup`` untimed calls; keep all times.

    Parameters
    ----------
    fn : callable
        Called with a running call number (warm-up calls included), so that each call
        can e.g. write under its own name.
    reps : int
        Timed calls wanted.
    warmup : int
        Untimed calls first (imports, caches, first-touch of files).
    min_reps : int
        Timed calls made even when ``budget_s`` is spent.
    budget_s : float, optional
        Stop after ``min_reps`` timed calls once the timed calls took this long.
    setup : callable, optional
        Called untimed with the call number before every call (e.g. clear a cache).
    teardown : callable, optional
        Called untimed with what every call returned (e.g. close what it opened).

    Returns
    -------
    Timing
        Use ``.median``.

    """
    timing = Timing(warmup=warmup)
    call = 0
    for _ in range(warmup):
        if setup is not None:
            setup(call)
        result = fn(call)
        if teardown is not None:
            teardown(result)
        call += 1
    gc.collect()
    spent = 0.0
    for _ in range(max(reps, 1)):
        if setup is not None:
            setup(call)
        start = time.perf_counter()
        result = fn(call)
        elapsed = time.perf_counter() - start
        if teardown is not None:
            teardown(result)
        call += 1
        timing.times.append(elapsed)
        spent += elapsed
        if budget_s is not None and len(timing.times) >= min_reps and spent >= budget_s:
            break
    return timing


def measure_interleaved(
    fns: Mapping[str, Callable[[int], object]],
    reps: int,
    warmup: int = 1,
    min_reps: int = 3,
    budget_s: float | None = None,
    setup: Mapping[str, Callable[[int], object]] | None = None,
) -> tuple[dict[str, Timing], dict[str, BaseException]]:
    """Like :func:`measure` for several callables, alternating them call by call.

    Round ``r`` calls every callable once, starting at a rotating position, so slow
    drifts of the machine (disk write-back, CPU frequency, other processes) hit all of
    them alike; ratios between them are then fairer than from back-to-back runs.

    Returns
    -------
    tuple of dict
        ``key -> Timing`` for those that worked, ``key -> exception`` for those that
        raised (they are dropped from later rounds).

    """
    setup = setup or {}
    timings = {key: Timing(warmup=warmup) for key in fns}
    errors: dict[str, BaseException] = {}
    spent = dict.fromkeys(fns, 0.0)
    keys = list(fns)
    for r in range(warmup + max(reps, 1)):
        active = [
            k
            for k in keys
            if k not in errors
            and (
                r < warmup
                or budget_s is None
                or len(timings[k].times) < min_reps
                or spent[k] < budget_s
            )
        ]
        if not active:
            break
        shift = r % len(active)
        for key in active[shift:] + active[:shift]:
            if key in setup:
                setup[key](r)
            try:
                start = time.perf_counter()
                fns[key](r)
                elapsed = time.perf_counter() - start
            except Exception as exc:  # report it, go on with the others
                errors[key] = exc
                continue
            if r >= warmup:
                timings[key].times.append(elapsed)
                spent[key] += elapsed
        if r == warmup - 1:
            gc.collect()
    return {k: t for k, t in timings.items() if k not in errors}, errors


# ---------------------------------------------------------------------- output
def format_ms(seconds: float | None) -> str:
    """Milliseconds with 3 significant digits (at least whole ms above 100 ms)."""
    if seconds is None or math.isnan(seconds):
        return "-"
    ms = seconds * 1000.0
    if ms >= 100:
        return f"{ms:,.0f}"
    if ms >= 10:
        return f"{ms:.1f}"
    if ms >= 1:
        return f"{ms:.2f}"
    return f"{ms:.3f}"


def print_table(
    title: str,
    rows: Sequence[str],
    columns: Sequence[str],
    cell: Callable[[str, str], str],
    row_header: str = "",
) -> None:
    """Print a fixed-width table; ``cell(row, column)`` gives each cell's text."""
    texts = [[cell(r, c) for c in columns] for r in rows]
    first = max([len(row_header), *(len(r) for r in rows)])
    widths = [max([len(c), *(len(t[i]) for t in texts)]) for i, c in enumerate(columns)]
    line = "  ".join(
        [row_header.ljust(first), *(c.rjust(w) for c, w in zip(columns, widths, strict=True))]
    )
    print(f"\n{title}")
    print(line)
    print("-" * len(line))
    for r, t in zip(rows, texts, strict=True):
        print("  ".join([r.ljust(first), *(x.rjust(w) for x, w in zip(t, widths, strict=True))]))
