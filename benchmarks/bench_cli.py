"""How fast the command line answers: whole processes, from start to exit.

Times ``pastas-projects --help``, ``pastas-projects status`` on an ArcticDB-LMDB
store of N solved models, and ``pastas-projects solve --help`` (which loads a flow
command's options), ``--rounds`` times each, interleaved. Target (issue 16):
``--help`` and ``status`` under 1 s. Run from the repository root:
``python -m benchmarks.bench_cli``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import calibrate_parts as parts
from benchmarks.common import finish_args, make_parser
from benchmarks.machine import warn_if_busy, write_json

BIN = str(Path(sys.executable).with_name("pastas-projects"))


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"{command} failed:\n{out.stdout}\n{out.stderr}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = make_parser(__doc__.split("\n\n")[0], default_n=300, quick_n=30)
    parser.add_argument("--rounds", type=int, default=None, help="runs of each (7; 3 quick)")
    parser.add_argument("--dir", default=None)
    args = finish_args(parser.parse_args(argv))
    rounds = args.rounds or (3 if args.quick else 7)
    warn_if_busy()
    from pastas_projects.datasets import synthetic

    tmp = Path(tempfile.mkdtemp(prefix="bench_cli_", dir=args.dir))
    uri = f"lmdb://{tmp / 'store'}"
    pr = parts.fill_project(uri, "cli", synthetic(args.n, 1), True)
    pr.solve_models(progressbar=False)
    pr.db.conn.close()
    commands = {
        "pastas-projects --help": [BIN, "--help"],
        "pastas-projects solve --help": [BIN, "solve", "--help"],
        f"pastas-projects status ({args.n} solved models)": [
            BIN,
            "status",
            "--store",
            uri,
            "--name",
            "cli",
        ],  # fmt: skip
    }
    times: dict[str, list[float]] = {k: [] for k in commands}
    for _ in range(rounds):
        for what, command in commands.items():
            times[what].append(timed(command))
    results: dict[str, Any] = {}
    for what, values in times.items():
        results[what] = {"median": statistics.median(values), "min": min(values),
                         "max": max(values)}  # fmt: skip
        r = results[what]
        print(f"{what:45s} {r['median']:.2f} s ({r['min']:.2f}-{r['max']:.2f})")
    if args.json:
        write_json(args.json, {"commands": results, "rounds": rounds}, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
