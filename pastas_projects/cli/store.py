"""``pastas-projects ingest | status | prune``: series in, what the store holds, old versions out.

Neither command imports Prefect.
"""

from __future__ import annotations

import json
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pastas_projects.cli._common import (
    DEFAULT_NAME,
    DEFAULT_STORE_URI,
    NameOption,
    StoreOption,
    echo_table,
    handle_errors,
    open_project,
    shown_uri,
)
from pastas_projects.cli.root import app
from pastas_projects.store.history import RETENTION

if TYPE_CHECKING:
    from pastas_projects.project import PastasProject


class Kind(StrEnum):
    """Kinds of series ``ingest`` reads."""

    oseries = "oseries"
    prec = "prec"
    evap = "evap"
    well = "well"


@app.command()
@handle_errors
def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="CSV files (one series each), folders of CSV files or glob patterns.",
            metavar="PATH...",
        ),
    ],
    store: StoreOption = DEFAULT_STORE_URI,
    kind: Annotated[
        Kind, typer.Option(help="oseries (heads) or the kind of stress.")
    ] = Kind.oseries,
    metadata_csv: Annotated[
        Path | None,
        typer.Option(help="CSV with a 'name' column (file name without .csv) and x, y, ..."),
    ] = None,
    unit: Annotated[
        str | None, typer.Option(help="Unit conversion of the values, e.g. cm->m or m/d->mm/d.")
    ] = None,
    overwrite: Annotated[
        bool | None,
        typer.Option(
            "--overwrite/--no-overwrite",
            help="Replace stored series whose values changed (their models go stale); "
            "with --update: let new values replace differing stored ones. "
            "[default: overwrite, with --update no-overwrite]",
            show_default=False,
        ),
    ] = None,
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help="Append the rows to the stored series (files with only the newest rows).",
        ),
    ] = False,
    name: NameOption = DEFAULT_NAME,
) -> None:
    """Read CSV files into the store; a series is named after its file.

    The same code as the ingest flow: unchanged series are not written again, stored
    metadata is kept and updated, and a file that cannot be read fails alone. With
    --update the rows are appended to the stored series (a new series is added); a
    value that differs from the stored one under the same timestamp fails that file
    and names the timestamps (use --overwrite to replace them).
    """
    from pastas_projects.cli._common import CLIError
    from pastas_projects.io import read_metadata_csv
    from pastas_projects.store.ingest import ingest as ingest_items
    from pastas_projects.store.ingest import items_from_paths

    metadata = read_metadata_csv(metadata_csv) if metadata_csv is not None else {}
    items = items_from_paths(kind.value, paths, metadata)
    if not items:
        raise CLIError(f"no CSV files in {', '.join(map(str, paths))}")
    project = open_project(store, name, must_exist=False)
    if overwrite is None:
        overwrite = not update
    outcomes = ingest_items(project.db, items, {"unit": unit}, overwrite=overwrite, update=update)
    results = Counter(o.result for o in outcomes if o.ok)
    failed = [o for o in outcomes if not o.ok]
    what = "oseries" if kind == Kind.oseries else f"stresses (kind {kind.value})"
    typer.echo(
        f"{what}: {results['added']} added, {results['updated']} updated, "
        f"{results['unchanged']} unchanged, {len(failed)} failed"
    )
    if results["updated"]:
        typer.echo("Models using updated series are stale: `pastas-projects solve --only-changed`.")
    unused = sorted(set(metadata) - {item.name for item in items})
    if unused:
        typer.echo(f"({len(unused)} metadata rows are for series not in PATHS)")
    paths_by_name = {item.name: item.path for item in items}
    for outcome in failed:
        path = paths_by_name.get(outcome.name) or outcome.name
        text = outcome.error if path in (outcome.error or "") else f"{path}: {outcome.error}"
        typer.secho(f"  failed: {text}", err=True, fg=typer.colors.RED)
    if failed:
        raise typer.Exit(1)


@app.command()
@handle_errors
def status(
    store: StoreOption = DEFAULT_STORE_URI,
    name: NameOption = DEFAULT_NAME,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Counts of series and models, and how many are solved, failed or stale."""
    project = open_project(store, name)
    counts = store_status(project)
    if as_json:
        typer.echo(json.dumps(counts))
        return
    typer.echo(f"Store {shown_uri(store)} (connector {name!r}):")
    echo_table(status_rows(counts))


@app.command()
@handle_errors
def prune(
    store: StoreOption = DEFAULT_STORE_URI,
    keep_last: Annotated[
        int, typer.Option("--keep-last", min=1, help="Versions to keep of every item.")
    ] = RETENTION["keep_versions"],
    keep_days: Annotated[
        float | None,
        typer.Option("--keep-days", min=0, help="Also keep every version younger than this."),
    ] = RETENTION["keep_days"],
    library: Annotated[
        list[str] | None,
        typer.Option("--library", "-l", help="oseries, stresses or models (default all)."),
    ] = None,
    name: NameOption = DEFAULT_NAME,
) -> None:
    """Delete old versions by the retention policy the nightly deployment applies.

    Of every series and model, the last --keep-last versions are kept and every
    version younger than --keep-days days. Only stores with versions (ArcticDB)
    have anything to prune.
    """
    project = open_project(store, name)
    if not project.db.conn.supports_versions:
        typer.echo(f"{type(project.db.conn).__name__} keeps no versions: nothing to prune.")
        return
    deleted = project.db.apply_retention(keep_last, keep_days, library or None)
    rows = [(lib, f"{count} old {_versions(count)} deleted") for lib, count in deleted.items()]
    unit = "day" if keep_days == 1 else "days"
    days = f" and every version younger than {keep_days:g} {unit}" if keep_days else ""
    typer.echo(f"Kept the last {keep_last} {_versions(keep_last)} of every item{days}:")
    echo_table(rows)


def _versions(count: int) -> str:
    return "version" if count == 1 else "versions"


# ---------------------------------------------------------------------- status
def store_status(project: PastasProject) -> dict[str, Any]:
    """Counts of series and models in the store, and of models to (re-)solve.

    Returns
    -------
    dict
        ``oseries``, ``stresses``, ``stress_kinds`` (count per kind), ``models``,
        ``solved``, ``outdated`` (solved, but a series changed since), ``failed``,
        ``never_solved``, ``to_solve`` (what ``solve --only-changed`` would solve),
        ``checks_pass`` and ``checks_fail`` (solved models by the checks stored at
        solve time).

    """
    db = project.db
    stresses = db.stresses
    kinds = Counter(stresses["kind"].fillna("-")) if "kind" in stresses else Counter()
    info = db.get_model_info()
    status = info["status"].value_counts()
    stale = set(db.stale_models()) if len(info) else set()
    solved = info.index[info["status"] == "solved"]
    return {
        "oseries": len(db.oseries_names),
        "stresses": int(len(stresses)),
        "stress_kinds": {str(k): int(v) for k, v in sorted(kinds.items())},
        "models": int(len(info)),
        "solved": int(status.get("solved", 0)),
        "outdated": int(sum(name in stale for name in solved)),
        "failed": int(status.get("failed", 0)),
        "never_solved": int(status.get("built", 0)),
        "to_solve": len(stale),
        "checks_pass": int((info["checks"] == "pass").sum()) if len(info) else 0,
        "checks_fail": int((info["checks"] == "fail").sum()) if len(info) else 0,
    }


def _rate(counts: dict[str, Any]) -> str:
    checked = counts["checks_pass"] + counts["checks_fail"]
    return f"{100 * counts['checks_pass'] / checked:.0f}% of {checked} checked" if checked else ""


def status_rows(counts: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """Rows of the ``status`` table."""
    kinds = ", ".join(f"{k} {v}" for k, v in counts["stress_kinds"].items())
    return [
        ("oseries", counts["oseries"], ""),
        ("stresses", counts["stresses"], kinds),
        ("models", counts["models"], ""),
        ("  solved", counts["solved"], f"{counts['outdated']} with changed series"),
        ("    pass the checks", counts["checks_pass"], _rate(counts)),
        ("    fail the checks", counts["checks_fail"], "pastas-projects report: which and why"),
        ("  failed", counts["failed"], ""),
        ("  never solved", counts["never_solved"], ""),
        ("to solve (--only-changed)", counts["to_solve"], ""),
    ]
