"""One HTML page that judges a whole project: ``pr.report(path)``.

The page holds the counts and status of the models, a map and histograms of a fit
statistic, the pass rate of every check, the worst models by that statistic with
their results plots, and the failures with their errors. It is one file: its
style is inline, its images are inline PNGs, it runs no script and fetches
nothing, so it opens anywhere, also without network, and can be mailed or attached.

Everything on it is read from the models' records, except the results plots of the
worst models, which are rebuilt from the store. Nothing in the store changes.
"""

from __future__ import annotations

import os
import tempfile
import time
import warnings
from collections.abc import Iterable
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from pastas_projects.connectors.uri import mask_uri
from pastas_projects.errors import (
    ModelNotSolvedError,
    NoCoordinatesError,
    PastasProjectsError,
    SkippedItemsWarning,
)
from pastas_projects.modelling.checks import PASS, check_statistic
from pastas_projects.plotting import _html as h
from pastas_projects.plotting._common import (
    HIGHER_IS_BETTER,
    PastasProject,
    file_figure,
    label,
    png_bytes,
)
from pastas_projects.plotting.maps import Maps
from pastas_projects.plotting.plots import Plots, worst_first
from pastas_projects.store.bookkeeping import DEFAULT_STATISTICS

MAX_FAILURES = 200
"""Failures listed on the page at most (the rest are counted)."""


def check_output_path(path: str | Path, suffix: str = ".html") -> Path:
    """The file to write, checked before any work.

    Raises
    ------
    FileNotFoundError
        If its folder does not exist.
    IsADirectoryError
        If it is a folder.

    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise IsADirectoryError(
            21, f"the output path is a folder; give a file name ending in {suffix}", str(path)
        )
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(
            2, "the output folder does not exist (create it first)", str(folder.resolve())
        )
    return path


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, so a reader never sees half."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # as open() would make it, not mkstemp's 0600
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def store_text(project: PastasProject) -> str:
    """Where the store lives, secrets masked."""
    try:
        return mask_uri(project.db.conn.uri)
    except PastasProjectsError:
        return repr(project.db.conn)


# ---------------------------------------------------------------------- pictures
def statistics_table(records: dict[str, dict]) -> pd.DataFrame:
    """Stored statistics of the solved models, one row per model."""
    rows = {n: r.get("statistics") or {} for n, r in records.items() if r.get("status") == "solved"}
    return pd.DataFrame.from_dict(
        rows, orient="index", columns=list(DEFAULT_STATISTICS), dtype=float
    )


def map_png(project: PastasProject, statistic: str, names: list[str], dpi: int = 90) -> bytes:
    """PNG of the map of a statistic (raises NoCoordinatesError without positions)."""
    fig = file_figure((7.2, 6.4))
    Maps(project).modelstat(statistic, names, ax=fig.add_subplot())
    return png_bytes(fig, dpi)


def histogram_png(values: pd.Series, statistic: str, dpi: int = 90) -> bytes:
    """PNG of the histogram and the cumulative histogram of a statistic."""
    fig = file_figure((7.2, 6.4))
    top, bottom = fig.subplots(2, 1)
    x = values.dropna().to_numpy(dtype=float)
    top.hist(
        x,
        bins=min(40, max(8, int(np.sqrt(len(x))) * 2)),
        color="#2a7f9e",
        edgecolor="white",
        linewidth=0.5,
    )
    top.set_ylabel("models")
    top.set_title(f"{label(statistic)} of {len(x)} models", loc="left", fontsize=11)
    top.grid(True, axis="y", color="0.9")
    top.set_axisbelow(True)
    xs = np.sort(x)
    bottom.step(xs, np.arange(1, len(xs) + 1) / max(len(xs), 1), where="post", color="#123f55")
    median = float(np.median(xs)) if len(xs) else float("nan")
    bottom.axvline(median, color="0.5", linestyle=":", linewidth=1.0)
    bottom.annotate(
        f"median {median:.3g}",
        (median, 0.03),
        xytext=(4, 0),
        textcoords="offset points",
        fontsize=8,
        color="0.35",
    )
    better = "higher" if statistic in HIGHER_IS_BETTER else "lower"
    bottom.set_title(f"Cumulative ({better} is better)", loc="left", fontsize=11)
    bottom.set_xlabel(label(statistic))
    bottom.set_ylabel("fraction ≤ value")
    bottom.set_ylim(0, 1.02)
    bottom.grid(True, color="0.9")
    return png_bytes(fig, dpi)


def statistics_grid_png(table: pd.DataFrame, dpi: int = 80) -> bytes:
    """Small histograms of every stored statistic."""
    columns = [c for c in table.columns if table[c].notna().any()]
    ncols = 4
    nrows = max(1, -(-len(columns) // ncols))
    fig = file_figure((12.0, 2.6 * nrows))
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for ax, column in zip(axes, columns, strict=False):
        values = table[column].dropna().to_numpy(dtype=float)
        low, high = (
            np.percentile(values, [1, 99]) if len(values) > 20 else (values.min(), values.max())
        )
        clipped = np.clip(values, low, high)
        ax.hist(clipped, bins=25, color="#3a9bb5", edgecolor="white", linewidth=0.4)
        ax.set_title(f"{label(column)}  (median {np.median(values):.3g})", loc="left", fontsize=10)
        ax.tick_params(labelsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.grid(True, axis="y", color="0.92")
        ax.set_axisbelow(True)
    for ax in axes[len(columns) :]:
        ax.set_visible(False)
    return png_bytes(fig, dpi)


def fit_png(project: PastasProject, name: str, dpi: int = 70) -> bytes:
    """PNG of pastas' results plot of one stored model."""
    fig = file_figure((9.0, 6.0))
    Plots(project).model(name, fig=fig)
    return png_bytes(fig, dpi)


def glance_png(
    project: PastasProject, statistic: str, values: pd.Series, with_map: bool, dpi: int = 90
) -> bytes:
    """One small PNG: the map of a statistic (if ``with_map``) beside its histogram.

    Small in inches, so that its text stays legible at the width of a card.
    """
    fig = file_figure((6.4, 2.9) if with_map else (3.6, 2.9))
    axes = fig.subplots(1, 2, width_ratios=[1.0, 1.0]) if with_map else [None, fig.add_subplot()]
    if with_map:
        Maps(project).modelstat(statistic, values.index.tolist(), ax=axes[0], labels=False)
        axes[0].xaxis.set_major_locator(MaxNLocator(3))  # legible at the width of a card
        axes[0].yaxis.set_major_locator(MaxNLocator(4))
    hist = axes[1]
    x = values.to_numpy(dtype=float)
    hist.hist(x, bins=min(30, max(8, int(np.sqrt(len(x))) * 2)), color="#2a7f9e", edgecolor="white")
    hist.set_xlabel(label(statistic))
    hist.set_ylabel("models")
    hist.set_title(f"median {np.median(x):.3g}", loc="left", fontsize=11)
    hist.grid(True, axis="y", color="0.9")
    hist.set_axisbelow(True)
    return png_bytes(fig, dpi)


def statistic_pictures(
    project: PastasProject,
    statistic: str = "evp",
    names: Iterable[str] | None = None,
    dpi: int = 80,
) -> tuple[dict[str, bytes], list[str]]:
    """The map and the histograms of a stored statistic, as PNGs (for the Prefect UI).

    Parameters
    ----------
    project : PastasProject
        The project.
    statistic : str
        A stored statistic.
    names : list of str, optional
        Models (default all); names not in the store are ignored.
    dpi : int
        Resolution of the map and the histogram.

    Returns
    -------
    (dict, list of str)
        ``{"map": png, "histogram": png, "glance": png}`` (``glance``: both small,
        side by side; no map without positions, nothing without solved models) and
        notes on what was left out.

    """
    check_statistic(statistic, stored_only=True)
    records = project.db.model_records(None if names is None else list(names), missing="skip")
    table = statistics_table(records)
    values = table[statistic].dropna()
    pictures: dict[str, bytes] = {}
    notes: list[str] = []
    if values.empty:
        return pictures, [f"no solved model has a value of {statistic}"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SkippedItemsWarning)
        try:
            pictures["map"] = map_png(project, statistic, values.index.tolist(), dpi)
        except NoCoordinatesError as err:
            notes.append(f"no map: {err}")
        pictures["glance"] = glance_png(project, statistic, values, "map" in pictures)
    notes += list(
        dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, SkippedItemsWarning))
    )
    pictures["histogram"] = histogram_png(values, statistic, dpi)
    return pictures, notes


def write_overview(
    project: PastasProject, path: str | Path, statistic: str = "evp", dpi: int = 100
) -> Path:
    """Write one PNG with the map of a statistic, the checks map and its histogram.

    The picture the demo makes (and the README shows). Without positions the maps
    are left out.

    Parameters
    ----------
    project : PastasProject
        The project.
    path : str or Path
        PNG file to write; its folder must exist.
    statistic : str
        A stored statistic.
    dpi : int
        Resolution.

    Returns
    -------
    pathlib.Path

    """
    path = check_output_path(path, ".png")
    check_statistic(statistic, stored_only=True)
    records = project.db.model_records()
    values = statistics_table(records)[statistic].dropna()
    if values.empty:
        raise ModelNotSolvedError(f"no solved model has a value of {statistic}: nothing to draw")
    fig = file_figure((16.0, 5.6))
    left, middle, right = fig.subplots(1, 3, width_ratios=[1.15, 1.0, 0.9])
    maps = Maps(project)
    try:
        maps.modelstat(statistic, values.index.tolist(), ax=left)
        maps.checks(names=values.index.tolist(), ax=middle)
    except (NoCoordinatesError, ModelNotSolvedError):
        left.set_visible(False)
        middle.set_visible(False)
    Plots(project).cumulative_hist(statistic, values.index.tolist(), ax=right)
    right.set_title(f"{label(statistic)}: cumulative histogram", loc="left", fontsize=11)
    fig.suptitle(f"{project.name}: {len(records):,} models", x=0.01, ha="left", fontsize=13)
    write_atomic(path, png_bytes(fig, dpi))
    return path


# ---------------------------------------------------------------------- the page
def write_report(
    project: PastasProject,
    path: str | Path,
    statistic: str = "evp",
    worst: int = 10,
    names: str | Iterable[str] | None = None,
    title: str | None = None,
) -> Path:
    """Write the HTML report of a project (see :meth:`PastasProject.report`).

    Parameters
    ----------
    project : PastasProject
        The project.
    path : str or Path
        HTML file to write; its folder must exist.
    statistic : str
        Stored statistic that ranks the models.
    worst : int
        How many of the worst models get a results plot.
    names : str or list of str, optional
        Models to report on (default all).
    title : str, optional
        Page title.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError
        If the folder of ``path`` does not exist (checked before any work).
    UnknownNameError
        For a statistic that is not stored with the models.
    ItemNotFoundError
        For a named model that is not in the store.

    """
    path = check_output_path(path)
    check_statistic(statistic, stored_only=True)
    if not isinstance(worst, int) or worst < 0:
        raise ValueError(f"worst must be a whole number >= 0, not {worst!r}")
    notes: list[str] = []
    text = _page(project, statistic, worst, names, title, notes)
    for note in notes:  # what the page says was left out, the caller hears too
        warnings.warn(note, SkippedItemsWarning, stacklevel=3)
    write_atomic(path, text.encode("utf-8"))
    return path


def _page(
    project: PastasProject,
    statistic: str,
    worst: int,
    names: str | Iterable[str] | None,
    title: str | None,
    notes: list[str],
) -> str:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SkippedItemsWarning)
        parts, (subtitle, verdict, footer) = _body(project, statistic, worst, names, notes)
    skipped = [str(w.message) for w in caught if issubclass(w.category, SkippedItemsWarning)]
    for warning in caught:
        if not issubclass(warning.category, SkippedItemsWarning):
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    notes[:] = list(dict.fromkeys([*skipped, *notes]))
    if notes:
        items = "".join(f"<li>{h.esc(n)}</li>" for n in notes)
        parts.append(
            h.section(
                "Notes",
                "What this report left out, and why.",
                f'<div class="notes"><ul>{items}</ul></div>',
                "notes",
            )
        )
    page_title = title or f"{project.name}: model report"
    return h.page(page_title, subtitle, verdict, "\n".join(parts), footer)


def _body(
    project: PastasProject,
    statistic: str,
    worst: int,
    names: str | Iterable[str] | None,
    notes: list[str],
) -> tuple[list[str], tuple[str, str, str]]:
    """The sections of the page, and its subtitle, verdict and footer."""
    started = time.perf_counter()
    db = project.db
    records = db.model_records(names)
    status = pd.Series({n: r.get("status") for n, r in records.items()}, dtype=object)
    solved = status.index[status == "solved"].tolist()
    failed = status.index[status == "failed"].tolist()
    built = status.index[status == "built"].tolist()
    stale = set(db.stale_models(solved)) if solved else set()
    table = statistics_table(records)
    values = table[statistic].dropna() if not table.empty else pd.Series(dtype=float)
    checks = {n: r["checks"] for n, r in records.items() if PASS in (r.get("checks") or {})}
    passed = sum(bool(c[PASS]) for c in checks.values())
    stat_name = label(statistic)

    parts = [
        _cards(project, records, solved, failed, built, stale, checks, passed, values, statistic)
    ]
    parts.append(_overview(project, statistic, values, notes))
    parts.append(_checks_section(project, checks, passed, notes))
    if not table.empty:
        parts.append(
            h.section(
                "All fit statistics",
                f"Distribution of every statistic stored with the {len(table)} solved models "
                "(1st to 99th percentile shown).",
                "<figure>"
                + h.image(statistics_grid_png(table), "histograms of all statistics")
                + "</figure>",
                "statistics",
            )
        )
    parts.append(_worst_section(project, statistic, values, worst, records, checks, table, notes))
    parts.append(_failures_section(records, failed, built))
    now = datetime.now().strftime("%Y-%m-%d %H:%M")
    subtitle = (
        f"Store <code>{h.esc(store_text(project))}</code> · project {h.esc(project.name)} · "
        f"{len(records):,} models · made {now}"
    )
    verdict = _verdict(records, solved, checks, passed, values, statistic, stat_name)
    footer = (
        f"pastas_projects {h.esc(_version('pastas_projects'))} · "
        f"pastas {h.esc(_version('pastas'))} · "
        f"made in {time.perf_counter() - started:.1f} s · statistics and checks as stored at "
        "solve time; checks: pastas' checks_brakenhoff_2022"
    )
    return parts, (subtitle, verdict, footer)


def _version(package: str) -> str:
    try:
        return version(package)
    except Exception:  # noqa: BLE001 - a version is decoration
        return "?"


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


def _verdict(
    records: dict,
    solved: list[str],
    checks: dict,
    passed: int,
    values: pd.Series,
    statistic: str,
    stat_name: str,
) -> str:
    if not records:
        return "No models in the store yet."
    bits = [f"<b>{len(solved):,}</b> of {len(records):,} models solved"]
    if checks:
        bits.append(f"<b>{_percent(passed, len(checks))}</b> pass all checks")
    if not values.empty:
        bits.append(f"median {h.esc(stat_name)} <b>{values.median():.3g}</b>")
    return " · ".join(bits)


def _cards(
    project: PastasProject,
    records: dict,
    solved: list[str],
    failed: list[str],
    built: list[str],
    stale: set[str],
    checks: dict,
    passed: int,
    values: pd.Series,
    statistic: str,
) -> str:
    total = len(records)
    cards = [
        h.card(
            f"{total:,}",
            "models",
            f"{len(project.db.oseries_names):,} oseries · "
            f"{len(project.db.stresses_names):,} stresses",
        ),
        h.card(
            f"{len(solved):,}",
            "solved",
            f"{_percent(len(solved), total)} of the models",
            "good" if solved else "",
        ),
        h.card(
            f"{len(failed):,}",
            "failed",
            "see the failures below" if failed else "none",
            "bad" if failed else "",
        ),
        h.card(f"{len(built):,}", "never solved", "built, not yet solved", "warn" if built else ""),
        h.card(
            f"{len(stale):,}",
            "outdated",
            "solved, but a series changed since",
            "warn" if stale else "",
        ),
        h.card(
            _percent(passed, len(checks)),
            "pass all checks",
            f"{passed:,} of {len(checks):,} checked models",
            ("good" if passed / len(checks) >= 0.5 else "bad") if checks else "",
        ),
    ]
    if not values.empty:
        cards.append(
            h.card(
                f"{values.median():.3g}",
                f"median {label(statistic)}",
                f"of {len(values):,} solved models",
            )
        )
    return f'<div class="cards">{"".join(cards)}</div>'


def _overview(project: PastasProject, statistic: str, values: pd.Series, notes: list[str]) -> str:
    name = label(statistic)
    if values.empty:
        return h.section(
            f"{name} at a glance", "", '<p class="empty">no solved models yet</p>', "overview"
        )
    try:
        left = h.image(map_png(project, statistic, values.index.tolist()), f"map of {name}")
        caption = "Each dot is a model at its oseries; the colour is its fit."
    except NoCoordinatesError as err:
        notes.append(f"no map: {err}")
        left = f'<p class="empty">No map: {h.esc(err)}</p>'
        caption = ""
    right = h.image(histogram_png(values, statistic), f"histogram of {name}")
    body = (
        f'<div class="grid2"><div>{left}<figcaption>{h.esc(caption)}</figcaption></div>'
        f"<div>{right}</div></div>"
    )
    return h.section(
        f"{name} at a glance",
        f"How well the {len(values):,} solved models fit, and where.",
        body,
        "overview",
    )


def _checks_section(project: PastasProject, checks: dict, passed: int, notes: list[str]) -> str:
    columns: dict[str, list[bool]] = {}
    for found in checks.values():
        for check, ok in found.items():
            if check != PASS:
                columns.setdefault(check, []).append(bool(ok))
    rates = [(c, sum(v), len(v)) for c, v in columns.items()]
    bars = h.bars(rates, (passed, len(checks)) if checks else None)
    body = bars
    if checks:
        try:
            fig = file_figure((6.4, 5.6))
            Maps(project).checks(names=list(checks), ax=fig.add_subplot())
            picture = h.image(png_bytes(fig), "map of pass and fail")
            body = f'<div class="grid2"><div>{bars}</div><div>{picture}</div></div>'
        except NoCoordinatesError:
            pass  # the overview's note says why there are no maps
    lead = (
        f"Share of the {len(checks):,} checked models that pass each check (green) and fail it "
        "(red). The checks run when a model is solved: R² ≥ 0.7, response memory shorter than "
        "half the calibration period, no autocorrelation left in the noise (runs test), gain "
        "larger than 1.96 standard errors, no parameter on its bounds."
    )
    return h.section("Checks", lead, body, "checks")


def _worst_section(
    project: PastasProject,
    statistic: str,
    values: pd.Series,
    worst: int,
    records: dict,
    checks: dict,
    table: pd.DataFrame,
    notes: list[str],
) -> str:
    name = label(statistic)
    if values.empty or worst == 0:
        return ""
    ranked = worst_first(values, statistic).head(worst)
    rows = []
    for rank, (model, value) in enumerate(ranked.items(), start=1):
        failed = [c for c, ok in (checks.get(model) or {}).items() if c != PASS and not ok]
        verdict = (
            h.chip("not checked", "none")
            if model not in checks
            else (
                h.chip("pass", "pass") if not failed else "".join(h.chip(c, "fail") for c in failed)
            )
        )
        rows.append(
            [
                str(rank),
                f"<b>{h.esc(model)}</b>",
                h.number(value),
                h.number(table.at[model, "rsq"]),
                h.number(table.at[model, "rmse"]),
                verdict,
            ]
        )
    listing = h.table(
        ["#", "model", name, "R²", "RMSE", "checks failed"], rows, numeric=(0, 2, 3, 4)
    )
    cards = []
    for model in ranked.index:
        try:
            picture = h.image(fit_png(project, model), f"results of {model}")
        except Exception as err:  # noqa: BLE001 - one model's plot never sinks the page
            notes.append(f"no results plot of {model}: {type(err).__name__}: {err}")
            picture = f'<p class="empty">no plot: {h.esc(err)}</p>'
        record = records[model]
        meta = (
            f"{name} {h.number(values[model])} · oseries {h.esc(record.get('oseries'))} · "
            f"solved {h.esc((record.get('solved_at') or '')[:16])}"
        )
        cards.append(
            f'<div class="model"><h3>{h.esc(model)}</h3>'
            f'<div class="meta">{meta}</div>{picture}</div>'
        )
    better = "highest" if statistic in HIGHER_IS_BETTER else "lowest"
    lead = (
        f"The {len(ranked)} models with the poorest {h.esc(name)} ({better} is best), with "
        "pastas' results plot of each, rebuilt from the store."
    )
    return h.section(
        f"The worst {len(ranked)} by {name}",
        lead,
        listing + f'<div class="models" style="margin-top:18px">{"".join(cards)}</div>',
        "worst",
    )


def _failures_section(records: dict, failed: list[str], built: list[str]) -> str:
    rows = [
        [
            f"<b>{h.esc(n)}</b>",
            h.esc(records[n].get("error")),
            h.esc((records[n].get("failed_at") or "")[:16]),
        ]
        for n in failed[:MAX_FAILURES]
    ]
    body = h.table(["model", "error", "failed at"], rows, classes={1: "err"})
    if len(failed) > MAX_FAILURES:
        more = len(failed) - MAX_FAILURES
        body += f'<p class="empty">... and {more} more (pr.db.models lists them all)</p>'
    if built:
        shown = ", ".join(h.esc(n) for n in built[:100])
        more = f" and {len(built) - 100} more" if len(built) > 100 else ""
        body += (
            f"<details><summary>{len(built)} models never solved</summary>"
            f"<p>{shown}{more}</p></details>"
        )
    lead = (
        "Models whose solve failed, with the error stored with them. They keep their last "
        "parameters; fix the cause and solve again."
    )
    return h.section(f"Failures ({len(failed)})", lead, body, "failures")
