"""Tests of pastas_projects.io: every CSV shape of the bundled data, and bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pastas_projects.datasets import data_path
from pastas_projects.errors import SeriesValueError
from pastas_projects.io import CSVParseError, read_csv, read_folder, unit_factor

DATA = Path(data_path())


def write(tmp_path: Path, text: str, name: str = "series.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def check_series(s: pd.Series, name: str) -> None:
    assert isinstance(s, pd.Series)
    assert s.name == name
    assert s.dtype == np.float64
    assert isinstance(s.index, pd.DatetimeIndex)
    assert s.index.tz is None
    assert s.index.is_monotonic_increasing and s.index.is_unique
    assert s.notna().all()


# -- the bundled files: one test per header shape ---------------------------------


@pytest.mark.parametrize(
    ("stem", "n", "first", "last", "first_value", "last_value"),
    [
        # Dutch header "Peildatum,B32C0609_1"; one empty value (2010-01-14) is dropped
        ("B32C0609001", 3221, "1981-02-19", "2018-02-14", 1.35, 1.75),
        # quoted header "Peildatum","Stand (cm t.o.v NAP)", heads in cm
        ("B42B0040002", 96, "1984-01-13", "1987-12-28", 278.0, 263.0),
        ("B58C0698001", 644, "1985-11-14", "2015-06-28", 27.61, 27.57),
        # "date,head"
        ("head_nb1", 644, "1985-11-14", "2015-06-28", 27.610000000000007, 27.57),
        ("nb18_head", 2873, "2006-06-20", "2018-12-04", 16.22, 15.05),
        # unnamed index column ",RH_260"
        ("rain_260", 14697, "1980-01-02", "2020-03-28", 5.800000000000001, 0.0),
        ("evap_260", 14697, "1980-01-02", "2020-03-28", 0.30000000000000004, 2.4000000000000004),
        ("rain_nb1", 13454, "1980-01-01", "2016-10-31", 0.0033, 0.0),
        ("evap_nb1", 13476, "1980-01-01", "2016-11-22", 0.0002, 0.0005),
        ("nb18_rain", 8870, "1996-06-19", "2020-09-30", 0.0, 0.0009000000000000001),
        ("nb18_evap", 8888, "1996-06-20", "2020-10-19", 0.0013000000000000002, 0.0005),
        # "Date,Head" / "Date,Prec"
        ("heby_head", 3911, "1980-01-15", "2020-11-16", 78.91, 78.79),
        ("heby_prec", 14792, "1980-01-01", "2020-06-30", 1.4, 3.5),
        ("heby_evap", 14792, "1980-01-01", "2020-06-30", 0.0, 2.41956639289856),
        # day-first dates 01/01/1980 ... 31/12/1999
        ("nb9_extraction", 7305, "1980-01-01", "1999-12-31", 336.7204301, 446.3510521),
    ],
)
def test_bundled_files(stem, n, first, last, first_value, last_value):
    s = read_csv(DATA / f"{stem}.csv")
    check_series(s, stem)
    assert len(s) == n
    assert s.index[0] == pd.Timestamp(first)
    assert s.index[-1] == pd.Timestamp(last)
    assert s.iloc[0] == first_value
    assert s.iloc[-1] == last_value


def test_day_first_file_is_daily():
    s = read_csv(DATA / "nb9_extraction.csv")
    assert (s.index.to_series().diff().dropna() == pd.Timedelta("1D")).all()
    assert s.loc["1980-01-13"] == pytest.approx(s.iloc[12])  # 13/01/1980 is day-first


def test_cm_to_m_and_name():
    s = read_csv(DATA / "B42B0040002.csv", name="B42B", unit="cm->m")
    check_series(s, "B42B")
    assert s.iloc[0] == pytest.approx(2.78)


def test_unit_conversions():
    s = read_csv(DATA / "rain_nb1.csv", unit="m/d->mm/d")
    assert s.iloc[0] == pytest.approx(3.3)
    assert unit_factor("mm/d -> m/d") == pytest.approx(1e-3)
    assert unit_factor("cm->m") == pytest.approx(0.01)
    assert unit_factor("m->mm") == pytest.approx(1000)
    s2 = read_csv(DATA / "rain_260.csv", scale=0.5)
    assert s2.iloc[0] == pytest.approx(2.9)
    for bad in ["cm", "cm->ft", "m->m/d"]:
        with pytest.raises(ValueError):
            unit_factor(bad)
    with pytest.raises(ValueError, match="not both"):
        read_csv(DATA / "rain_260.csv", unit="cm->m", scale=2.0)


def test_read_folder(tmp_path):
    series = read_folder(DATA)
    assert len(series) == 15
    assert list(series) == sorted(series)
    for name, s in series.items():
        check_series(s, name)
    write(tmp_path, "date,head\n2000-01-01,1\n", "a.csv")
    write(tmp_path, "date,head\n2000-01-01,200\n", "b.csv")
    write(tmp_path, "not a csv", "notes.txt")
    got = read_folder(tmp_path, unit="cm->m")
    assert list(got) == ["a", "b"]
    assert got["b"].iloc[0] == pytest.approx(2.0)
    with pytest.raises(NotADirectoryError):
        read_folder(tmp_path / "a.csv")


# -- other layouts ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "date,head\n2000-01-01,1.5\n2000-01-15,1.25\n",
        '"Peildatum","Stand (cm t.o.v NAP)"\n"2000-01-01","1.5"\n"2000-01-15","1.25"\n',
        ",RH\n2000-01-01,1.5\n2000-01-15,1.25",  # no final newline
        "date , head \n 2000-01-01 , 1.5 \n2000-01-15,1.25\n",  # spaces
        "\ufeffdate,head\r\n2000-01-01,1.5\r\n2000-01-15,1.25\r\n",  # BOM and CRLF
        "2000-01-01,1.5\n2000-01-15,1.25\n",  # no header
        "datum;stand\n2000-01-01;1,5\n2000-01-15;1,25\n",  # semicolons, decimal comma
        "date\thead\n2000-01-01\t1.5\n2000-01-15\t1.25\n",  # tabs
        "date,head\n2000-01-15,1.25\n2000-01-01,1.5\n",  # unsorted
        "date,head\n2000-01-01T00:00:00+01:00,1.5\n2000-01-15T00:00:00+01:00,1.25\n",
        "date,head\n01/01/2000,1.5\n15/01/2000,1.25\n",
        "date,head\n01-01-2000,1.5\n15-01-2000,1.25\n",
        "date,head\n01.01.2000,1.5\n15.01.2000,1.25\n",
        "date,head\n01/01/2000,1.5\n01/15/2000,1.25\n",  # month-first, decided by 15
        "date,head\n2000-01-01,1.5\n\n2000-01-15,1.25\n\n",  # blank lines
    ],
)
def test_layouts(tmp_path, text):
    s = read_csv(write(tmp_path, text, "well-1.csv"))
    check_series(s, "well-1")
    expected = pd.Series(
        [1.5, 1.25], index=pd.DatetimeIndex(["2000-01-01", "2000-01-15"]), name="well-1"
    )
    pd.testing.assert_series_equal(s, expected, check_freq=False)


def test_times_are_kept(tmp_path):
    s = read_csv(write(tmp_path, "t,h\n2000-01-01 12:30,1\n2000-01-02 06:00:00,2\n"))
    assert list(s.index) == [pd.Timestamp("2000-01-01 12:30"), pd.Timestamp("2000-01-02 06:00")]
    s = read_csv(write(tmp_path, "t,h\n13/01/2000 12:30,1\n14/01/2000,2\n"))
    assert list(s.index) == [pd.Timestamp("2000-01-13 12:30"), pd.Timestamp("2000-01-14")]


def test_ambiguous_dates_follow_dayfirst(tmp_path):
    path = write(tmp_path, "date,head\n01/02/2000,1\n03/04/2000,2\n")
    assert read_csv(path).index[0] == pd.Timestamp("2000-02-01")  # default day-first
    assert read_csv(path, dayfirst=True).index[0] == pd.Timestamp("2000-02-01")
    assert read_csv(path, dayfirst=False).index[0] == pd.Timestamp("2000-01-02")


def test_missing_values(tmp_path):
    path = write(tmp_path, "date,head\n2000-01-01,1\n2000-01-02,\n2000-01-03,NaN\n2000-01-04,4\n")
    assert read_csv(path).tolist() == [1.0, 4.0]
    kept = read_csv(path, dropna=False)
    assert len(kept) == 4 and kept.isna().sum() == 2


# -- bad files: the error names the file, the line and the problem -------------------


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("date,head\n2000-01-01,1\n2000-13-45,2\n", r"line 3: cannot parse date '2000-13-45'"),
        ("date,head\n2000-01-01,1\nyesterday,2\n", r"line 3: cannot parse date 'yesterday'"),
        ("date,head\n2000-01-01,1\n2000-01-02,abc\n", r"line 3: value 'abc' is not a number"),
        ("date,head\n2000-01-01,1\n2000-01-02,inf\n", r"line 3: value 'inf' is infinite"),
        ("date,head\n2000-01-01,1\n,2\n", r"line 3: empty date"),
        (
            "date,head\n31/01/2000,1\n01/13/2000,2\n",
            r"mix day-first \(line 2: '31/01/2000'\) and month-first \(line 3",
        ),
        ("date,head\n01/01/2000,1\n2000-01-02,2\n", r"line 3: cannot parse date '2000-01-02'"),
        ("date,head\n01/01/2000,1\n31/02/2000,2\n", r"line 3: cannot parse date '31/02/2000'"),
        ("date,head\n2000-01-01,1\n2000-01-01,2\n", r"occurs more than once \(lines \[2, 3\]\)"),
        ("date,head,quality\n2000-01-01,1,ok\n", r"expected 2 columns"),
        ("date\n2000-01-01\n", r"expected 2 columns"),
        ("date,head\n", r"no values"),
        ("date,head\n2000-01-01,\n", r"no values"),
        ("", r"empty"),
        ("date,head\n2000-01-01,1\n2000-01-02,2,3\n", r"not a two-column CSV"),
    ],
)
def test_bad_files(tmp_path, text, match):
    path = write(tmp_path, text, "bad_file.csv")
    with pytest.raises(CSVParseError, match=match) as info:
        read_csv(path)
    assert "bad_file.csv" in str(info.value)
    assert isinstance(info.value, SeriesValueError) and isinstance(info.value, ValueError)


def test_dayfirst_contradicted(tmp_path):
    path = write(tmp_path, "date,head\n31/01/2000,1\n")
    with pytest.raises(CSVParseError, match=r"line 2: .*dayfirst=False"):
        read_csv(path, dayfirst=False)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_csv(tmp_path / "nope.csv")
