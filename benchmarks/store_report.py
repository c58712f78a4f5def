"""The report of ``bench_store.py``: the tables, the ratios and the targets."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from benchmarks.common import (
    format_ms,
    print_table,
)
from benchmarks.store_backends import (
    EMBEDDED,
    METADATA_N,
    MONGO_BACKENDS,
)

if TYPE_CHECKING:
    from benchmarks.store_results import Bench, Settings

TARGET_N = 10_000
"""Store size the 'open < 1 s' target is set for."""
OPEN_TARGET_S = 1.0

OPS: tuple[tuple[str, str], ...] = (
    ("write_stress", "write stress (daily, {stress_n:,})"),
    ("write_oseries", "write oseries (irregular, {head_n:,})"),
    ("read_stress", "read stress (daily, {stress_n:,})"),
    ("read_oseries", "read oseries (irregular, {head_n:,})"),
    ("write_model", "write model"),
    ("read_model", "read model (rebuild)"),
    ("metadata", "metadata table ({meta_n:,} series)"),
    ("names", "list names ({n:,})"),
    ("open", "open {n:,}-series store"),
    ("open_names", "open + names"),
    ("open_metadata", "open + metadata table"),
    ("open_metadata_first", "open + metadata, 1st in process"),
)
READ_OPS = ("read_stress", "read_oseries", "read_model")


def ratio(bench: Bench, op: str, a: str, b: str) -> float | None:
    ta, tb = bench.results.get(a, {}).get(op), bench.results.get(b, {}).get(op)
    if ta is None or tb is None or not tb.median:
        return None
    return ta.median / tb.median


def report(bench: Bench, s: Settings) -> dict[str, Any]:
    d = bench.data
    labels = {
        op: text.format(
            stress_n=len(d.stress), head_n=len(d.head), meta_n=min(METADATA_N, s.n), n=s.n
        )
        for op, text in OPS
    }
    backends = list(bench.results)

    def cell(label: str, backend: str) -> str:
        op = next(k for k, v in labels.items() if v == label)
        if op in bench.errors[backend] or (op == "open" and "open" in bench.errors[backend]):
            return "ERR"
        t = bench.results[backend].get(op)
        return format_ms(t.median) if t else "-"

    print_table(
        "median time in ms (lower is better)", list(labels.values()), backends, cell, "operation"
    )
    notes = []
    if any(b in MONGO_BACKENDS for b in backends) and s.mongo_n != s.n:
        notes.append(
            f"MongoDB backends: their big stores hold {s.mongo_n:,} series, not {s.n:,} "
            "(the metadata table and names rows too)"
        )
    if s.n != TARGET_N:
        notes.append(f"big stores hold {s.n:,} series; the open target is for {TARGET_N:,}")
    for note in notes:
        print(f"note: {note}")

    targets: list[dict[str, Any]] = []
    ratios: dict[str, dict[str, float | None]] = {}

    pair = ("pp-Arctic-LMDB", "pst-ArcticDB")
    if all(b in backends for b in pair):
        ratios["Arctic-LMDB / pastastore-ArcticDB"] = {op: ratio(bench, op, *pair) for op, _ in OPS}
        for op, _ in OPS:
            value = ratios["Arctic-LMDB / pastastore-ArcticDB"][op]
            targets.append(_target(f"Arctic-LMDB / pastastore-ArcticDB: {labels[op]}", value, 1.0))
    pair = ("pp-PyStore", "pst-Pas")
    if all(b in backends for b in pair):
        ratios["PyStore / pastastore-Pas"] = {op: ratio(bench, op, *pair) for op, _ in OPS}
        for op in READ_OPS:
            value = ratios["PyStore / pastastore-Pas"][op]
            targets.append(_target(f"PyStore / pastastore-Pas: {labels[op]}", value, 1.0))
    pair = ("pp-Arctic-Mongo", "pst-ArcticDB-Mongo")
    if all(b in backends for b in pair):  # no target: the test server dominates
        ratios["Arctic-Mongo / pastastore-ArcticDB-Mongo"] = {
            op: ratio(bench, op, *pair) for op, _ in OPS
        }
    for b in (b for b in EMBEDDED if b in backends):
        for op in ("open_metadata", "open_metadata_first"):
            t = bench.results.get(b, {}).get(op)
            what = f"{b}: {labels[op]} of {s.n:,} series (s)"
            targets.append(_target(what, None if t is None else t.median, OPEN_TARGET_S, "<"))

    if ratios:
        names = list(ratios)
        print_table(
            "ratios (pastas_projects / pastastore; < 1 means pastas_projects is faster)",
            [labels[op] for op, _ in OPS],
            names,
            lambda label, name: _fmt_ratio(
                ratios[name][next(k for k, v in labels.items() if v == label)]
            ),
            "operation",
        )
    print("\ntargets")
    for t in targets:
        value = "n/a" if t["value"] is None else f"{t['value']:.3g}"
        print(f"  [{t['status']:>6}] {t['what']}: {value} (target {t['rule']} {t['limit']:g})")
    met = sum(t["status"] == "met" for t in targets)
    print(f"  {met} of {len(targets)} targets met")
    errors = {b: e for b, e in bench.errors.items() if e}
    if errors:
        print("\nerrors")
        for b, e in errors.items():
            for op, msg in e.items():
                print(f"  {b} {op}: {msg}")
    print(
        "\npopulating the big stores took (s): "
        + ", ".join(f"{b} {t:.1f}" for b, t in bench.populate_s.items())
    )
    return {
        "benchmark": "store",
        "load_average_at_start": bench.load_at_start,
        "settings": vars(s),
        "data": {
            "source": d.source,
            "stress_values": len(d.stress),
            "head_values": len(d.head),
            "small_values": len(d.small),
            "model": "RechargeModel(Exponential), solved",
        },
        "operations": labels,
        "store_sizes": bench.sizes,
        "populate_s": bench.populate_s,
        "results": {b: {op: t.as_dict() for op, t in r.items()} for b, r in bench.results.items()},
        "ratios": ratios,
        "targets": targets,
        "errors": errors,
        "notes": notes,
    }


def _target(what: str, value: float | None, limit: float, rule: str = "<=") -> dict[str, Any]:
    if value is None or math.isnan(value):
        status = "n/a"
    elif (value <= limit) if rule == "<=" else (value < limit):
        status = "met"
    else:
        status = "MISSED"
    return {"what": what, "value": value, "limit": limit, "rule": rule, "status": status}


def _fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
