"""The zip file: what it holds, that it reads back whole, and every bad file refused."""

from __future__ import annotations

import io
import json
import zipfile

import pandas as pd
import pytest
from test_transfer import filled_project
from typer.testing import CliRunner

import pastas_projects as pp
from pastas_projects.cli import app
from pastas_projects.errors import ArchiveError, ItemExistsError
from pastas_projects.testing._state import store_state
from pastas_projects.testing.suite_transfer import assert_same_contents
from pastas_projects.transfer import FORMAT_VERSION, read_manifest
from pastas_projects.transfer.zip import parquet_to_series, series_to_parquet


@pytest.fixture
def project(tmp_path):
    conn = pp.ArcticConnector("p", f"lmdb://{tmp_path / 'src'}")
    yield filled_project(conn)
    conn.close()


@pytest.fixture
def zipped(project, tmp_path):
    return project.to_zip(tmp_path / "project.zip", progressbar=False)


@pytest.fixture
def target():
    """A store that holds something already, so 'unchanged' means something."""
    pr = pp.PastasProject("t", pp.DictConnector("t"))
    pr.db.add_oseries(pd.Series([1.0, 2.0], pd.date_range("2020", periods=2)), "other")
    return pr


def rewrite(path, change) -> None:
    """Write the zip again with ``change(name, data) -> data`` applied to every entry."""
    with zipfile.ZipFile(path) as archive:
        entries = [(info, archive.read(info.filename)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, change(info.filename, data))


def test_manifest_and_layout(zipped, project):
    manifest = read_manifest(zipped)
    assert manifest["format"] == "pastas_projects" and manifest["format_version"] == FORMAT_VERSION
    assert manifest["counts"] == {"oseries": 2, "stresses": 2, "models": 2}
    assert manifest["project"] == "p"
    assert {"pastas_projects", "pastas", "pandas", "pyarrow", "python"} <= set(manifest["packages"])
    with zipfile.ZipFile(zipped) as archive:
        names = set(archive.namelist())
        records = json.loads(archive.read("records/models.json"))
        frame = pd.read_parquet(io.BytesIO(archive.read("stresses/prec.parquet")))
    assert {"manifest.json", "oseries/well_a.parquet", "models/well_b.json"} <= names
    assert records["well_a"]["status"] == "solved" and records["well_a"]["statistics"]["evp"]
    assert list(frame.columns) == ["time", "value"]  # plain Parquet any tool reads
    assert frame["value"].to_numpy().tolist() == project.db.get_stresses("prec").tolist()


def test_read_back_into_another_backend(zipped, project, tmp_path):
    back = pp.PastasProject.from_zip(zipped, pp.PystoreConnector("b", tmp_path / "ps"))
    assert back.name == "p" and back.transfer_report.ok
    assert_same_contents(project.db, back.db)
    assert back.db.stale_models() == ["well_b"]
    again = pp.PastasProject.from_zip(zipped, back.db.conn, progressbar=False)
    assert set(again.transfer_report.to_frame()["result"]) == {"unchanged"}


@pytest.mark.parametrize(
    "unit,dtype",
    [
        ("s", "float64"),
        ("ms", "float32"),
        ("us", "int64"),
        ("ns", "int32"),
        ("ns", "float16"),
        ("s", "uint64"),
        ("ms", "int8"),
    ],  # fmt: skip
)
def test_series_bytes_keep_unit_and_dtype(unit, dtype):
    index = pd.DatetimeIndex(["2000-01-01 00:00:01", "2000-01-02", "2001-03-04 05:06:07"]).as_unit(
        unit
    )
    values = [1, 2, 3] if dtype.startswith("u") else [1, -2, 3]
    frame = pd.DataFrame({"x": pd.array(values, dtype=dtype)}, index=index)
    back = parquet_to_series(series_to_parquet(frame), "x")
    pd.testing.assert_frame_equal(back, frame, check_exact=True)


def test_existing_file_needs_overwrite(project, zipped):
    with pytest.raises(FileExistsError):
        project.to_zip(zipped)
    assert project.to_zip(zipped, overwrite=True, progressbar=False) == zipped


# ---------------------------------------------------------------------- bad files
def assert_refused(path, target, match: str) -> None:
    before = store_state(target.db)
    with pytest.raises(ArchiveError, match=match):
        pp.PastasProject.from_zip(path, target.db.conn, progressbar=False)
    assert store_state(target.db) == before


def test_truncated_zip(zipped, target):
    data = zipped.read_bytes()
    zipped.write_bytes(data[: len(data) // 2])
    assert_refused(zipped, target, "not a readable zip file")


def test_corrupt_entries(zipped, target, tmp_path):
    with zipfile.ZipFile(zipped) as archive:
        infos = {i.filename: i for i in archive.infolist()}
    data = bytearray(zipped.read_bytes())
    for entry in ("stresses/evap.parquet", "models/well_b.json"):  # stored and deflated
        info = infos[entry]
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        broken = bytearray(data)
        broken[start + info.compress_size // 2] ^= 0xFF
        path = tmp_path / f"broken-{entry.replace('/', '-')}.zip"
        path.write_bytes(bytes(broken))
        assert_refused(path, target, "corrupt")


def test_series_that_does_not_match_its_record(zipped, target):
    def change(name, data):
        if name == "oseries/well_a.parquet":
            frame = parquet_to_series(data, "well_a")
            return series_to_parquet(frame * 1.5)
        return data

    rewrite(zipped, change)  # checksums are right, the content is not
    assert_refused(zipped, target, "differs from the content hash")


def test_newer_format_version(zipped, target):
    def change(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["format_version"] = FORMAT_VERSION + 1
            manifest["packages"]["pastas_projects"] = "9.0"
            return json.dumps(manifest).encode()
        return data

    rewrite(zipped, change)
    assert_refused(zipped, target, "format version 2 by pastas_projects 9.0.*upgrade")


def test_not_a_zip_and_no_manifest(tmp_path, target):
    text = tmp_path / "notes.zip"
    text.write_text("hello")
    assert_refused(text, target, "not a readable zip file")
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("readme.txt", "hi")
    assert_refused(other, target, "no manifest.json")
    with pytest.raises(FileNotFoundError):
        pp.PastasProject.from_zip(tmp_path / "missing.zip", target.db.conn)


def test_clash_without_overwrite(zipped, project, tmp_path):
    target = pp.PastasProject.from_zip(zipped, pp.DictConnector("t"), progressbar=False)
    changed = target.db.get_oseries("well_a") + 0.5
    target.db.add_oseries(changed, "well_a", metadata={"x": 0.0}, overwrite=True, force=True)
    before = store_state(target.db)
    with pytest.raises(ItemExistsError, match="oseries 'well_a'"):
        pp.PastasProject.from_zip(zipped, target.db.conn, progressbar=False)
    assert store_state(target.db) == before
    again = pp.PastasProject.from_zip(zipped, target.db.conn, overwrite=True, progressbar=False)
    assert again.transfer_report.names("oseries", "updated") == ["well_a"]
    assert_same_contents(project.db, again.db)


def test_export_and_import_on_the_command_line(project, tmp_path):
    runner = CliRunner()
    path = tmp_path / "cli.zip"
    store = project.db.conn.uri
    out = runner.invoke(app, ["export", str(path), "--store", store, "--name", "p"])
    assert out.exit_code == 0, out.output
    assert "2 oseries, 2 stresses, 2 models" in out.output
    again = runner.invoke(app, ["export", str(path), "--store", store, "--name", "p"])
    assert again.exit_code == 1 and "exists" in again.output
    target = f"lmdb://{tmp_path / 'imported'}"
    done = runner.invoke(app, ["import", str(path), "--store", target])
    assert done.exit_code == 0, done.output
    assert "models: 2 added" in done.output
    imported = pp.Database(pp.connect(target))
    assert_same_contents(project.db, imported)
    status = runner.invoke(app, ["status", "--store", target, "--json"])
    assert json.loads(status.output)["to_solve"] == 1  # well_b is stale, as in the source
    data = path.read_bytes()
    path.write_bytes(data[:1000])
    bad = runner.invoke(app, ["import", str(path), "--store", target])
    assert bad.exit_code == 1 and bad.output.startswith("Error: ")
    assert "not a readable zip file" in bad.output
