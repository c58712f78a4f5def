"""Checks: run at solve time and stored with the model, read back, or run again on demand."""

from __future__ import annotations

import copy
import json
import logging
import re
import warnings

import numpy as np
import pandas as pd
import pastas as ps
import pytest
from typer.testing import CliRunner

import pastas_projects as pp
from pastas_projects.cli import app
from pastas_projects.datasets import SeriesCollection, load_examples, synthetic
from pastas_projects.errors import ModelNotSolvedError, SkippedItemsWarning, UnknownNameError
from pastas_projects.modelling import solve_batch
from pastas_projects.modelling.checks import (
    DEFAULT_CHECKLIST,
    PASS,
    checklist_entries,
    run_checks,
)
from pastas_projects.store.ingest import ingest, items_from_collection

SOLVED = ["B32C0609001", "B58C0698001", "heby_head", "nb18_head", "syn_00001", "syn_00002"]


def _project(uri: str | None = None) -> pp.PastasProject:
    conn = pp.connect(uri, name="checks") if uri else pp.DictConnector("checks")
    pr = pp.PastasProject("checks", conn)
    data = SeriesCollection.of(load_examples(), synthetic(3, 5))
    ingest(pr.db, items_from_collection(data))
    for name in SOLVED:
        pr.create_model(name, noise=name == "syn_00002")
    pr.create_model("B42B0040002", stresses=["nb9_extraction"])  # a Hantush well: pastas' path
    pr.create_model("syn_00003")  # never solved
    logging.getLogger("pastas").setLevel(logging.ERROR)
    pr.solve_models(SOLVED + ["B42B0040002"], progressbar=False)
    return pr


@pytest.fixture(scope="module")
def project() -> pp.PastasProject:
    return _project()


def records(pr: pp.PastasProject) -> dict:
    return copy.deepcopy(pr.db.model_records())


# ---------------------------------------------------------------------- stored at solve time
def test_solving_stores_the_checks_of_pastas(project):
    judged = SOLVED + ["B42B0040002"]
    stored = project.db.model_records(judged)
    for name in judged:
        checks = stored[name]["checks"]
        assert isinstance(checks[PASS], bool)
        assert checks[PASS] == all(v for k, v in checks.items() if k != PASS)
        ml = project.db.get_models(name)
        pastas_table = ps.check.checklist(ml, ps.check.checks_brakenhoff_2022, report=False)
        expected = {str(k): bool(v) for k, v in pastas_table["pass"].items()}
        assert {k: v for k, v in checks.items() if k != PASS} == expected, name
    well = project.db.get_models("B42B0040002").stressmodels["nb9_extraction"]
    assert well.rfunc._name == "Hantush"  # its memory check goes through pastas itself
    assert "t95_nb9_extraction < 0.5 Δt_calib" in stored["B42B0040002"]["checks"]
    assert "runs_test (p > α)" in stored["syn_00002"]["checks"]  # noise model: on the noise
    assert not project.db.model_records("syn_00003")["syn_00003"]["checks"]


def test_models_table_and_get_checks_read_records_only(project):
    info = project.db.models
    assert set(info.loc[SOLVED, "checks"]) <= {"pass", "fail"}
    assert info.loc["syn_00003", "checks"] is None
    with pytest.warns(SkippedItemsWarning, match="syn_00003"):
        table = project.get_checks()
    assert "syn_00003" not in table.index and set(SOLVED) <= set(table.index)
    assert table.columns[-1] == PASS and table[PASS].dtype == "boolean"
    assert "rsq>=0.7" in table.columns
    # the well model has checks the others do not have: <NA> for them
    assert table.loc["B58C0698001", "Bounds: nb9_extraction_A"] is pd.NA
    for name in SOLVED:
        assert bool(table.loc[name, PASS]) == (info.loc[name, "checks"] == "pass")
    one = project.get_checks("B58C0698001")
    assert list(one.index) == ["B58C0698001"]
    with pytest.raises(ModelNotSolvedError, match="none of the 1 model"):
        project.get_checks("syn_00003")


def test_check_models_rebuilds_and_writes_nothing(project):
    before = records(project)
    with pytest.warns(SkippedItemsWarning, match="syn_00003"):
        table = project.check_models()
    assert records(project) == before
    assert list(table.index) == sorted(SOLVED + ["B42B0040002"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedItemsWarning)
        stored = project.get_checks()
    pd.testing.assert_frame_equal(table, stored.loc[table.index, table.columns])

    own = project.check_models(
        ["B58C0698001", "heby_head"],
        checklist=[
            {"func": "rsq_geq_threshold", "threshold": 0.99},
            "parameter_bounds",
            lambda ml: ps.check.correlation_sim_vs_res(ml, threshold=0.5),
        ],
    )
    assert own.loc["B58C0698001", "rsq>=0.99"] == False  # noqa: E712 - a nullable boolean
    assert "|corr(sim, res)| < 0.5" in own.columns and own.columns[-1] == PASS
    assert not own[PASS].any()


def test_bad_checklists_fail_before_any_model_is_rebuilt(project):
    with pytest.raises(UnknownNameError, match="unknown check 'rsq_above'.*rsq_geq_threshold"):
        project.check_models(checklist=["rsq_above"])
    with pytest.raises(UnknownNameError, match="entry 1"):
        project.check_models(checklist=["parameter_bounds", {"func": "nope"}])
    with pytest.raises(TypeError, match="response_memory does not take"):
        project.check_models(checklist=[{"func": "response_memory", "cut_off": 0.9}])
    with pytest.raises(TypeError, match="dict without 'func'"):
        checklist_entries([{"threshold": 0.8}])
    with pytest.raises(TypeError, match="not int"):
        checklist_entries([3])
    with pytest.raises(ValueError, match="empty"):
        checklist_entries([])
    with pytest.raises(ModelNotSolvedError, match="syn_00003: built"):
        project.check_models("syn_00003")
    with pytest.raises(pp.errors.ItemNotFoundError):
        project.check_models("no_such_model")


def test_a_check_that_cannot_run_fails_alone(project):
    ml = project.db.get_models("B58C0698001")

    def broken(model):
        raise RuntimeError("no way")

    checks, errors = run_checks(ml, ["rsq_geq_threshold", broken])
    assert checks == {"rsq>=0.7": True, "broken": False, PASS: False}
    assert errors == {"broken": "RuntimeError: no way"}
    # and in the solve step: the model is solved, the error kept with its checks
    outcome = solve_batch(project.db, ["nb18_head"], checklist=[broken, "parameter_bounds"])[0]
    assert outcome.ok
    record = project.db.model_records("nb18_head")["nb18_head"]
    assert record["checks"]["broken"] is False and record["checks"][PASS] is False
    assert record["check_errors"] == {"broken": "RuntimeError: no way"}
    solve_batch(project.db, ["nb18_head"])  # back to the default checklist
    assert "check_errors" not in project.db.model_records("nb18_head")["nb18_head"]


def test_checks_match_pastas_on_many_models():
    """The fast path gives pastas' labels and outcomes, also with duplicate labels."""
    pr = pp.PastasProject("many", pp.DictConnector("many"))
    ingest(pr.db, items_from_collection(synthetic(25, 11)))
    for name in pr.db.oseries_names:
        pr.create_model(name, noise=name.endswith(("3", "7")))
    solve_batch(pr.db, pr.db.model_names, checklist=False)
    assert all(not r["checks"] for r in pr.db.model_records().values())  # checklist=False
    twice = DEFAULT_CHECKLIST + [{"func": ps.check.rsq_geq_threshold, "threshold": 0.7}]
    for name, ml in pr.db.get_models(pr.db.model_names).items():
        for checklist in (DEFAULT_CHECKLIST, twice):
            checks, errors = run_checks(ml, checklist)
            table = ps.check.checklist(ml, checklist, report=False)
            assert not errors
            assert {k: v for k, v in checks.items() if k != PASS} == {
                str(k): bool(v) for k, v in table["pass"].items()
            }, name
            assert checks[PASS] == bool(np.all(table["pass"]))


def test_status_shows_pass_and_fail(tmp_path):
    uri = f"lmdb://{tmp_path / 'store'}"
    pr = _project(uri)
    runner = CliRunner()
    result = runner.invoke(app, ["status", "--store", uri, "--name", "checks", "--json"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)
    info = pr.db.models
    assert counts["checks_pass"] == int((info["checks"] == "pass").sum())
    assert counts["checks_fail"] == int((info["checks"] == "fail").sum())
    assert counts["checks_pass"] + counts["checks_fail"] == counts["solved"] == 7
    text = runner.invoke(app, ["status", "--store", uri, "--name", "checks"]).output
    rows = dict(re.findall(r"^\s*(\S[\w ()-]*?)\s{2,}(\d+)", text, re.M))
    assert rows["pass the checks"] == str(counts["checks_pass"])
    assert rows["fail the checks"] == str(counts["checks_fail"])
    assert "% of 7 checked" in text
