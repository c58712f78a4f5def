"""Shared helpers for the benchmark scripts in this folder.

* :func:`make_parser` -- the common command line (``--n``, ``--workers``, ``--quick``,
  ``--json PATH``);
* :func:`measure` -- median wall-clock time of a callable (``time.perf_counter``,
  warm-up calls excluded);
* :func:`print_table` -- an operation x backend table of milliseconds;
* :func:`machine_info` and :func:`write_json` -- results with the machine they were
  measured on;
* :func:`start_mongo` -- a throw-away MongoDB-wire server (the one the tests use).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
"""Root of the pastas_projects repository (the parent of ``benchmarks/``)."""

PACKAGES = (
    "pastas_projects",
    "pastas",
    "pastastore",
    "arcticdb",
    "pandas",
    "numpy",
    "pyarrow",
    "pystore",
    "pymongo",
    "SecantusDB",
    "scipy",
    "numba",
    "dask",
    "prefect",
)
"""Packages whose versions go into the JSON results (missing ones are skipped)."""


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


# ---------------------------------------------------------------------- machine and JSON
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware", "processor\t: ")):
                value = line.split(":", 1)[1].strip()
                if value and not value.isdigit():
                    return value
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        import psutil

        return int(psutil.virtual_memory().total)
    except ImportError:
        return None


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str]:
    """Installed versions of the packages that are installed."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages (None where the OS has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def warn_if_busy() -> None:
    """Print a warning when other processes keep the CPUs busy (noisy timings)."""
    load = load_average()
    cpus = os.cpu_count() or 1
    if load is not None and load[0] > 0.5 * cpus:
        print(
            f"warning: load average {load[0]:.1f} on {cpus} CPUs before starting: other "
            "processes compete for the CPUs, absolute times will be noisy (ratios of "
            "interleaved measurements less so)"
        )


def machine_info() -> dict[str, Any]:
    """Where and when the benchmark ran: CPUs, RAM, Python, package versions, commit."""
    ram = _ram_bytes()
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "date": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "hostname": platform.node(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": _cpu_model(),
        "ram_gib": None if ram is None else round(ram / 2**30, 1),
        "load_average": load_average(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "packages": package_versions(),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": None if status is None else bool(status),
    }


def write_json(path: Path, payload: Mapping[str, Any], args: argparse.Namespace) -> None:
    """Write ``payload`` plus the machine info and the command-line arguments to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arguments = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    document = {
        "machine": machine_info(),
        "arguments": {k: v for k, v in arguments.items() if not k.startswith("_")},
        **payload,
    }
    path.write_text(json.dumps(document, indent=2, default=_json_default) + "\n")
    print(f"\nwrote {path}")


def _json_default(value: Any) -> Any:
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return str(value)


# ---------------------------------------------------------------------- MongoDB
def start_mongo(tmp_dir: str | os.PathLike) -> Any:
    """Start the MongoDB-wire server the tests use (``tests/mongo_server.py``).

    With ``MONGO_URI`` set, that server is used instead. Returns an object with
    ``.uri`` and ``.stop()``.

    Raises
    ------
    RuntimeError
        If the helper or the ``secantusd-py`` server is not available.

    """
    tests = str(REPO / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    try:
        from mongo_server import start_mongo as start
    except ImportError as exc:  # benchmarks run from a checkout; tests/ holds the helper
        raise RuntimeError(f"cannot import tests/mongo_server.py: {exc}") from None
    return start(tmp_dir)
