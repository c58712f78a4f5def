"""What ``bench_store.py`` measures in one run, and the settings it ran with."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from benchmarks.common import Timing, measure_interleaved
from benchmarks.machine import load_average
from benchmarks.store_backends import (
    METADATA_N,
    OPS_METADATA,
    Data,
    Spec,
    Store,
    error_text,
    open_store,
)


@dataclass
class Settings:
    n: int
    mongo_n: int
    reps: int
    open_rounds: int
    open_reps: int
    budget_s: float


class Bench:
    """All measurements of one run."""

    def __init__(self, args: argparse.Namespace, data: Data) -> None:
        self.args = args
        self.data = data
        self.results: dict[str, dict[str, Timing]] = {b: {} for b in args.backends}
        self.errors: dict[str, dict[str, str]] = {b: {} for b in args.backends}
        self.sizes: dict[str, int] = {}
        self.populate_s: dict[str, float] = {}
        self.dict_big: Store | None = None
        self.load_at_start = load_average()

    def record(self, op: str, timings: dict[str, Timing], errors: dict[str, BaseException]) -> None:
        for backend, timing in timings.items():
            self.results[backend][op] = timing
        for backend, exc in errors.items():  # a broken backend: report it, go on
            self.errors[backend][op] = error_text(exc)
            print(f"  {backend} {op}: FAILED {self.errors[backend][op]}", flush=True)

    def open_ops(self, spec: Spec) -> Store:
        """Open the store for single-item operations; write the model and its series."""
        d = self.data
        store = open_store(spec)
        for name, (library, series) in d.model_series.items():
            if library == "oseries":
                store.write_oseries(series, name, OPS_METADATA)
            else:
                kind = "evap" if "evap" in name else "prec"
                store.write_stress(series, name, kind, OPS_METADATA)
        store.write_oseries(d.head, "bench_head", OPS_METADATA)
        d.model.name = "bench_model"
        store.write_model(d.model)
        self._check_reads(store, spec.backend)
        return store

    def ops(self, stores: dict[str, Store], s: Settings) -> None:
        """Write/read single items, all backends interleaved call by call."""
        d = self.data
        stress_name = str(d.stress.name)
        ml = d.model

        def write_model(store: Store, i: int) -> None:
            ml.name = f"bench_model_{i}"
            store.write_model(ml)

        makers: dict[str, Callable[[Store], Callable[[int], object]]] = {
            "write_stress": lambda st: (
                lambda i: st.write_stress(d.stress, f"p{i}", "prec", OPS_METADATA)
            ),
            "write_oseries": lambda st: lambda i: st.write_oseries(d.head, f"h{i}", OPS_METADATA),
            "read_stress": lambda st: lambda i: st.read_stress(stress_name),
            "read_oseries": lambda st: lambda i: st.read_oseries("bench_head"),
            "write_model": lambda st: lambda i: write_model(st, i),
            "read_model": lambda st: lambda i: st.read_model("bench_model"),
        }
        try:
            for op, make in makers.items():
                print(f"  {op} ...", flush=True)
                fns = {b: make(st) for b, st in stores.items()}
                self.record(op, *measure_interleaved(fns, s.reps, budget_s=s.budget_s))
        finally:
            ml.name = "bench_model"

    def _check_reads(self, store: Store, backend: str) -> None:
        """Fail loudly (as an error of the backend) if a read gives other data back."""
        d = self.data
        try:
            got = store.read_stress(str(d.stress.name))
            np.testing.assert_allclose(got.to_numpy(), d.stress.to_numpy())
            assert (got.index == d.stress.index).all(), "stress index differs"
            got = store.read_oseries("bench_head")
            np.testing.assert_allclose(got.to_numpy(), d.head.to_numpy())
            ml = store.read_model("bench_model")
            np.testing.assert_allclose(
                ml.parameters["optimal"].to_numpy(float),
                d.model.parameters["optimal"].to_numpy(float),
                rtol=1e-10,
            )
        except Exception as exc:
            self.errors[backend]["roundtrip"] = error_text(exc)
            print(f"  {backend}: ROUND TRIP FAILED {self.errors[backend]['roundtrip']}")

    def big(self, stores: dict[str, Store], s: Settings) -> None:
        """Metadata table and names on the big stores, interleaved, in this process."""
        wanted: dict[str, list[str]] = {}
        for b, store in stores.items():
            names = sorted(store.names())
            if len(names) != self.sizes[b]:
                self.errors[b]["names"] = f"store lists {len(names)} names, not {self.sizes[b]}"
            wanted[b] = names[:METADATA_N]

        def metadata(b: str) -> Callable[[int], object]:
            def run(_: int) -> None:
                table = stores[b].metadata(wanted[b])
                if len(table) != len(wanted[b]):
                    raise AssertionError(f"metadata table has {len(table)} rows")

            return run

        clear = {b: (lambda _, st=st: st.clear_caches()) for b, st in stores.items()}
        print("  metadata ...", flush=True)
        fns = {b: metadata(b) for b in stores}
        self.record("metadata", *measure_interleaved(fns, s.reps, budget_s=s.budget_s, setup=clear))
        print("  names ...", flush=True)
        fns = {b: (lambda _, st=st: st.names()) for b, st in stores.items()}
        self.record("names", *measure_interleaved(fns, s.reps, budget_s=s.budget_s, setup=clear))
