"""A project to judge: solved models, a failed one, a never solved one, one without x/y."""

from __future__ import annotations

import logging

import pastas_projects as pp
from pastas_projects.datasets import SeriesCollection, load_examples, synthetic
from pastas_projects.store.ingest import ingest, items_from_collection

SOLVED = ["B32C0609001", "B58C0698001", "heby_head", "nb18_head", "syn_00001", "syn_00002"]


def build(pr: pp.PastasProject, coordinates: bool = True) -> pp.PastasProject:
    """Solved models, one failed, one never solved, one whose oseries has no x/y."""
    data = SeriesCollection.of(load_examples(), synthetic(3, 2))
    if not coordinates:
        for meta in (*data.oseries_metadata.values(), *data.stresses_metadata.values()):
            meta.pop("x", None)
            meta.pop("y", None)
    ingest(pr.db, items_from_collection(data))
    nowhere = data.oseries["syn_00003"].rename("nowhere")
    pr.db.add_oseries(nowhere, "nowhere", metadata={"description": "no coordinates"})
    recharge = tuple(data.meteo["syn_00003"])
    for name in [*SOLVED, "B42B0040002", "syn_00003"]:
        pr.create_model(name, recharge="nearest" if coordinates else data.meteo[name])
    pr.create_model("nowhere", recharge=recharge)
    logging.getLogger("pastas").setLevel(logging.ERROR)
    pr.solve_models([*SOLVED, "nowhere", "B42B0040002"], progressbar=False)
    record = pr.db.model_records("B42B0040002")["B42B0040002"]
    ml = pr.db.get_models("B42B0040002")
    pr.db.write_model(
        ml, record["inputs"], record["input_versions"], error="ValueError: made <to> fail"
    )
    return pr
