"""Where the benchmark results come from, their JSON file, and a MongoDB-wire server.

* :func:`machine_info` and :func:`write_json` -- results with the machine they were
  measured on (CPUs, RAM, load, package versions, commit);
* :func:`load_average` and :func:`warn_if_busy` -- how busy the machine is;
* :func:`start_mongo` -- a throw-away MongoDB-wire server (the one the tests use).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict
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
    try:  # run from the repository root (python -m benchmarks...): tests/ holds the helper
        from tests.mongo_server import start_mongo as start
    except ImportError as exc:
        raise RuntimeError(f"cannot import tests/mongo_server.py: {exc}") from None
    return start(tmp_dir)
