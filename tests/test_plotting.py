"""Plots, maps and the HTML report: what they show, what they leave out, what they refuse."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
import warnings

import matplotlib.pyplot as plt
import pytest
from judge_helpers import SOLVED, build
from matplotlib.axes import Axes
from typer.testing import CliRunner

import pastas_projects as pp
from pastas_projects.cli import app
from pastas_projects.datasets import load_examples
from pastas_projects.errors import (
    ItemNotFoundError,
    ModelNotSolvedError,
    NoCoordinatesError,
    SkippedItemsWarning,
    UnknownNameError,
)


@pytest.fixture(scope="module")
def project() -> pp.PastasProject:
    return build(pp.PastasProject("plots", pp.DictConnector("plots")))


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def state(pr: pp.PastasProject) -> dict:
    """Everything a read-only call must leave as it was."""
    return {
        "models": copy.deepcopy(pr.db.model_records()),
        "oseries": pr.db.series_records("oseries"),
        "stresses": pr.db.series_records("stresses"),
    }


def points(ax: Axes) -> int:
    """Markers drawn by scatter on a map."""
    return sum(len(c.get_offsets()) for c in ax.collections if hasattr(c, "get_offsets"))


# ---------------------------------------------------------------------- plots
def test_plots_return_axes_and_draw_into_ax(project):
    before = state(project)
    fig, ax = plt.subplots()
    assert project.plots.cumulative_hist("evp", ax=ax) is ax
    with pytest.warns(SkippedItemsWarning, match="syn_00003") as caught:
        ax2 = project.plots.histogram("rmse", figsize=(4, 3))
    assert "B42B0040002" in str(caught[0].message)  # failed: left out too
    assert isinstance(ax2, Axes) and tuple(ax2.figure.get_size_inches()) == (4, 3)
    assert ax2.get_xlabel() == "RMSE (m)"
    subset = project.plots.cumulative_hist("rsq", names=["B58C0698001", "heby_head"])
    assert subset.get_legend().get_texts()[0].get_text() == "2 models"
    ax3 = project.plots.data_availability(names=["B58C0698001", "rain_260"], period="MS")
    assert [t.get_text() for t in ax3.get_yticklabels()] == ["B58C0698001", "rain_260"]
    assert project.plots.data_availability().figure is not None
    axes = project.plots.model("B58C0698001")
    assert isinstance(axes, list) and all(isinstance(a, Axes) for a in axes)
    compared = project.plots.compare_models(["B58C0698001", "syn_00001"], cmap="tab10")
    labels = [t.get_text() for t in compared.get_legend().get_texts()]
    assert any(t.startswith("B58C0698001 (EVP") for t in labels) and len(labels) == 4
    assert state(project) == before


def test_plots_refuse_what_they_cannot_show(project):
    with pytest.raises(UnknownNameError, match="unknown statistic 'evpp'.*evp, rsq"):
        project.plots.cumulative_hist("evpp")
    with pytest.raises(ModelNotSolvedError, match="model 'syn_00003' is built"):
        project.plots.model("syn_00003")
    with pytest.raises(ModelNotSolvedError, match="made <to> fail"):
        project.plots.model("B42B0040002")
    with pytest.raises(ItemNotFoundError, match="no_model"):
        project.plots.model("no_model")
    with pytest.raises(ModelNotSolvedError, match="no model of those asked was solved"):
        project.plots.histogram("evp", names=["syn_00003"])
    with pytest.raises(ItemNotFoundError, match="nope"):
        project.plots.data_availability(names=["nope"])
    with pytest.raises(ValueError, match="period"):
        project.plots.data_availability(period="H")
    with pytest.raises(UnknownNameError, match="unknown statistic"):
        project.get_statistics(["evp", "nonsense"])


# ---------------------------------------------------------------------- maps
def test_maps_show_positions_values_and_checks(project):
    before = state(project)
    fig, ax = plt.subplots()
    assert project.maps.oseries(ax=ax) is ax
    assert points(ax) == len(project.db.oseries_names) - 1  # `nowhere` has no x/y
    stresses = project.maps.stresses(figsize=(5, 5))
    legend = [t.get_text() for t in stresses.get_legend().get_texts()]
    assert any(t.startswith("prec") for t in legend) and any(t.startswith("well") for t in legend)
    with pytest.warns(SkippedItemsWarning, match="nowhere"):
        models = project.maps.models()
    assert {"solved", "failed", "built"} <= {
        t.get_text().split(" ")[0] for t in models.get_legend().get_texts()
    }
    with pytest.warns(SkippedItemsWarning) as caught:
        stat = project.maps.modelstat("evp", cmap="magma")
    text = " ".join(str(w.message) for w in caught)
    assert "nowhere" in text and "syn_00003" in text and "B42B0040002" in text
    assert points(stat) == len(SOLVED)
    assert len(stat.figure.axes) == 2 and stat.figure.axes[1].get_ylabel() == "EVP (%)"
    two = project.maps.modelstat("rmse", names=["B58C0698001", "heby_head"])
    assert points(two) == 2
    param = project.maps.modelparam("recharge_A", names=SOLVED, log=True)
    assert points(param) == len(SOLVED) and param.figure.axes[1].get_ylabel() == "recharge_A"
    with pytest.warns(SkippedItemsWarning, match="syn_00003"):
        checks = project.maps.checks()
    assert "not checked" in " ".join(t.get_text() for t in checks.get_legend().get_texts())
    one = project.maps.checks("rsq>=0.7", names=SOLVED)
    assert one.get_title(loc="left").startswith("rsq>=0.7: ")
    with pytest.warns(SkippedItemsWarning, match="nowhere"):
        links = project.maps.stresslinks()
    assert len(links.collections[0].get_segments()) == 2 * (len(SOLVED) + 2)
    assert state(project) == before


def test_maps_refuse_unknown_names(project):
    with pytest.raises(UnknownNameError, match="unknown statistic"):
        project.maps.modelstat("r2")
    with pytest.raises(UnknownNameError, match="unknown parameter 'recharge_X'.*recharge_A"):
        project.maps.modelparam("recharge_X", names=SOLVED)
    with pytest.raises(UnknownNameError, match="unknown check 'rsq>0.9'.*rsq>=0.7"):
        project.maps.checks("rsq>0.9", names=SOLVED)
    with pytest.raises(UnknownNameError, match="no metadata column 'depth'"):
        project.maps.oseries(column="depth")
    with pytest.raises(NoCoordinatesError, match="nowhere"):
        project.maps.modelstat("evp", names=["nowhere"])


def test_a_store_without_coordinates(tmp_path):
    pr = build(pp.PastasProject("bare", pp.DictConnector("bare")), coordinates=False)
    with pytest.raises(NoCoordinatesError, match="none of the"):
        pr.maps.oseries()
    with pytest.raises(NoCoordinatesError, match="has a position"):
        pr.maps.modelstat("evp")
    with pytest.raises(NoCoordinatesError):
        pr.maps.stresslinks()
    with pytest.warns(SkippedItemsWarning):  # the histogram still works
        assert pr.plots.cumulative_hist("evp") is not None
    before = state(pr)
    with pytest.warns(SkippedItemsWarning):
        path = pr.report(tmp_path / "bare.html", worst=2)
    text = path.read_text()
    assert "No map:" in text and "has a position" in text and 'id="worst"' in text
    assert state(pr) == before


# ---------------------------------------------------------------------- the report
def test_report_is_one_self_contained_page(project, tmp_path):
    before = state(project)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedItemsWarning)
        path = project.report(tmp_path / "report.html", statistic="rmse", worst=3, title="T & Co")
    assert state(project) == before
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no side files
    text = path.read_text(encoding="utf-8")
    assert "<title>T &amp; Co</title>" in text
    for anchor in ("overview", "checks", "statistics", "worst", "failures", "notes"):
        assert f'id="{anchor}"' in text
    images = re.findall(r'<img src="([^"]+)"', text)
    assert len(images) >= 6 and all(src.startswith("data:image/png;base64,") for src in images)
    assert not re.search(r'(src|href)="(https?:)?//', text)  # nothing fetched
    assert "<script" not in text
    worst = re.findall(r"<tr><td class=\"num\">\d+</td><td><b>([^<]+)</b>", text)
    rmse = project.get_statistics("rmse", SOLVED + ["nowhere"])["rmse"]
    assert worst == rmse.sort_values(ascending=False).index[:3].tolist()
    assert "made &lt;to&gt; fail" in text  # the failure, escaped
    assert "syn_00003" in text  # never solved


def test_report_refuses_bad_input_before_any_work(project, tmp_path):
    with pytest.raises(FileNotFoundError, match="output folder does not exist"):
        project.report(tmp_path / "missing" / "r.html")
    with pytest.raises(IsADirectoryError):
        project.report(tmp_path)
    with pytest.raises(UnknownNameError, match="stored with every model"):
        project.report(tmp_path / "r.html", statistic="mae")
    with pytest.raises(ValueError, match="worst"):
        project.report(tmp_path / "r.html", worst=-1)
    with pytest.raises(ItemNotFoundError):
        project.report(tmp_path / "r.html", names=["no_model"])
    assert list(tmp_path.iterdir()) == []


def test_report_command(tmp_path):
    uri = f"lmdb://{tmp_path / 'store'}"
    pr = build(pp.PastasProject("cli", pp.connect(uri, name="cli")))
    before = state(pr)
    runner = CliRunner()
    out = tmp_path / "out" / "r.html"
    args = ["report", "--store", uri, "--name", "cli", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "output folder does not exist" in result.output
    out.parent.mkdir()
    result = runner.invoke(app, [*args, "--statistic", "r2"])
    assert result.exit_code == 1 and "unknown statistic 'r2'" in result.output
    result = runner.invoke(app, [*args, "--worst", "2"])
    assert result.exit_code == 0, result.output
    assert "note: 1 model left out (their oseries have no x/y metadata): nowhere" in result.output
    assert f"Report: {out}" in result.output and out.stat().st_size > 10_000
    result = runner.invoke(app, [*args, "--worst", "1", "--filter", "syn_*"])
    assert result.exit_code == 0 and "note:" not in result.output, result.output
    assert "3 models" in out.read_text()
    assert state(pr) == before
    result = runner.invoke(app, [*args, "--models", "nope"])
    assert result.exit_code == 1 and "not in the store: nope" in result.output
    missing = runner.invoke(app, ["report", "--store", f"lmdb://{tmp_path / 'none'}"])
    assert missing.exit_code == 1 and "no store at" in missing.output


def test_the_report_command_does_not_load_prefect(tmp_path):
    uri = f"lmdb://{tmp_path / 'store'}"
    pr = pp.PastasProject("quiet", pp.connect(uri, name="quiet"))
    data = load_examples()
    for name in data.meteo["B58C0698001"]:
        pr.db.add_stress(data.stresses[name], name, metadata=data.stresses_metadata[name])
    pr.db.add_oseries(data.oseries["B58C0698001"], "B58C0698001", metadata={"x": 1.0, "y": 2.0})
    pr.create_model("B58C0698001", recharge=data.meteo["B58C0698001"])
    pr.solve_models(progressbar=False)
    pr.db.conn.close()
    out = tmp_path / "r.html"
    code = f"""
import sys
from typer.testing import CliRunner
from pastas_projects.cli import app
args = ["report", "--store", {uri!r}, "--name", "quiet", "--out", {str(out)!r}]
result = CliRunner().invoke(app, args)
assert result.exit_code == 0, result.output
print(" ".join(sorted({{m.split(".")[0] for m in sys.modules}})))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert "matplotlib" in loaded and "prefect" not in loaded and "distributed" not in loaded
    assert out.stat().st_size > 10_000
