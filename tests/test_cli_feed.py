"""The command line for new observations, definitions and retention: ingest --update,
build --definition, prune."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from test_cli import counts, invoke

import pastas_projects as pp
from pastas_projects.datasets import synthetic
from pastas_projects.testing._state import store_state


@pytest.fixture(autouse=True)
def see_writes_at_once():
    """The CLI writes through connectors of its own; read what it wrote at once."""
    from pastas_projects.connectors import see_other_processes_writes

    see_other_processes_writes()


@pytest.fixture
def store(tmp_path) -> tuple[str, pp.PastasProject]:
    """An lmdb store with 3 synthetic heads (without their last 60 days) and their meteo."""
    uri = f"lmdb://{tmp_path / 'store'}"
    pr = pp.PastasProject("t", pp.connect(uri, name="pastas_projects"))
    data = synthetic(3, 9)
    for name, series in data.stresses.items():
        pr.db.add_stress(series, name, metadata=data.stresses_metadata[name])
    for name, head in data.oseries.items():
        pr.db.add_oseries(head.iloc[:-5], name, metadata=data.oseries_metadata[name])
    return uri, pr, data


def test_ingest_update_appends_the_newest_rows(store, tmp_path):
    uri, pr, data = store
    folder = tmp_path / "newest"
    folder.mkdir()
    head = data.oseries["syn_00001"]
    head.iloc[-7:].to_csv(folder / "syn_00001.csv")  # 2 rows overlap the stored ones
    result = invoke("ingest", folder, "--store", uri, "--update")
    assert result.exit_code == 0, result.output
    assert "0 added, 1 updated" in result.output
    stored = pr.db.get_oseries("syn_00001")
    pd.testing.assert_index_equal(stored.index, head.index)
    assert stored.to_numpy() == pytest.approx(head.to_numpy())
    again = invoke("ingest", folder, "--store", uri, "--update")
    assert "1 unchanged" in again.output

    # a changed value under a stored timestamp: that file fails, naming the timestamp
    changed = head.iloc[-3:] + 1.0
    changed.to_csv(folder / "syn_00001.csv")
    before = store_state(pr.db)
    result = invoke("ingest", folder, "--store", uri, "--update")
    assert result.exit_code == 1 and "1 failed" in result.output
    assert str(changed.index[0].date()) in result.output and "--overwrite" not in result.output
    assert store_state(pr.db) == before
    result = invoke("ingest", folder, "--store", uri, "--update", "--overwrite")
    assert result.exit_code == 0 and "1 updated" in result.output

    # a new series in update mode is added
    head3 = data.oseries["syn_00003"].rename("brand_new")
    head3.to_csv(folder / "brand_new.csv")
    (folder / "syn_00001.csv").unlink()
    result = invoke("ingest", folder, "--store", uri, "--update")
    assert "1 added" in result.output, result.output


def test_prune_applies_the_retention_policy(store, tmp_path):
    uri, pr, data = store
    head = data.oseries["syn_00002"]
    for days in (4, 3, 2, 1):  # four more versions of one series
        pr.db.update_oseries(head.iloc[: len(head) - days], "syn_00002")
    assert len(pr.db.list_versions("oseries", "syn_00002")) == 5
    result = invoke("prune", "--store", uri)  # all younger than 30 days: all kept
    assert result.exit_code == 0, result.output
    assert len(pr.db.list_versions("oseries", "syn_00002")) == 5
    result = invoke("prune", "--store", uri, "--keep-last", "2", "--keep-days", "0")
    assert result.exit_code == 0, result.output
    assert "Kept the last 2 versions of every item:" in result.output
    assert re.search(r"oseries\s+3 old versions deleted", result.output), result.output
    assert len(pr.db.list_versions("oseries", "syn_00002")) == 2
    result = invoke("prune", "--store", uri, "--keep-last", "1", "--keep-days", "1")
    assert "Kept the last 1 version of every item and every version younger than 1 day:" in (
        result.output
    ), result.output
    assert len(pr.db.list_versions("oseries", "syn_00002")) == 2  # both younger than a day
    pd.testing.assert_series_equal(
        pr.db.get_oseries("syn_00002"), head.iloc[:-1].rename("syn_00002")
    )
    pystore = f"pystore://{tmp_path / 'pystore'}"
    pp.connect(pystore, name="pastas_projects").close()
    result = invoke("prune", "--store", pystore)
    assert result.exit_code == 0 and "keeps no versions" in result.output


BAD_DEFINITION = """
templates:
  t:
    stressmodels:
      recharge: {prec: nearest prec, evap: nearest evap, rfunc: Exponentiel}
"""

DEFINITION = """
templates:
  t:
    match: "syn_0000[12]"
    name: "{oseries}_def"
    stressmodels:
      recharge: {prec: nearest prec, evap: nearest evap, recharge: Linear}
"""


def test_build_with_a_bad_definition_is_a_clear_error(store, tmp_path):
    uri, pr, _ = store
    path = tmp_path / "models.yaml"
    path.write_text(BAD_DEFINITION)
    result = invoke("build", "--store", uri, "--definition", path)
    assert result.exit_code == 1
    assert "Error: template 't', stress model 'recharge': unknown response function" in (
        result.output
    )
    assert pr.db.model_names == []
    missing = invoke("build", "--store", uri, "--definition", tmp_path / "nope.yaml")
    assert missing.exit_code == 1 and "nope.yaml" in missing.output


@pytest.mark.slow
def test_build_with_a_definition_then_solve_cold(store, tmp_path, prefect_api_url):
    uri, pr, _ = store
    path = tmp_path / "models.yaml"
    path.write_text(DEFINITION)
    result = invoke("build", "--store", uri, "--definition", path, "--workers", "1")
    assert result.exit_code == 0, result.output
    assert pr.db.model_names == ["syn_00001_def", "syn_00002_def"]
    result = invoke("solve", "--store", uri, "--only-changed", "--cold", "--workers", "1")
    assert result.exit_code == 0, result.output
    assert counts(uri)["solved"] == 2
    records = pr.db.model_records()
    assert not any(r["solve_info"]["warm_start"] for r in records.values())
