"""Helpers shared by the flow tests (``test_flows.py``, ``test_flows_clusters.py``)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pandas as pd

from pastas_projects.blocks import PastasStoreBlock
from pastas_projects.datasets import synthetic
from pastas_projects.flows import SeriesCollection

N_MODELS = 6


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def data_with_a_failure(n: int = N_MODELS, seed: int = 7) -> SeriesCollection:
    """Synthetic heads plus ``late``, a head entirely after the meteo ends (fails)."""
    data = synthetic(n, seed)
    index = pd.date_range("2090-01-01", periods=60, freq="7D")
    data.oseries["late"] = pd.Series(1.0, index=index, name="late")
    data.oseries_metadata["late"] = dict(data.oseries_metadata["syn_00001"])
    return SeriesCollection.of(data)


def model_info(block: PastasStoreBlock) -> pd.DataFrame:
    return block.get_project().db.get_model_info()


def lmdb_block(tmp_path: Path) -> PastasStoreBlock:
    return PastasStoreBlock(uri=f"lmdb://{tmp_path / 'arctic'}", connector_name=unique("f"))
