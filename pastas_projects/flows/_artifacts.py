"""Summaries the flows return and the artifacts they show in the Prefect UI."""

from __future__ import annotations

import time
from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from pastas_projects.flows._common import AllFailedError, FlowRun, slug

MAX_TABLE_ROWS = 1000
"""Rows at most in a table artifact; larger tables are cut and say so."""

TOP = 5
"""How many of the slowest and worst-fitting models the markdown summary lists."""


def step_summary(step: str, rows: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    """Counts, names and failures of one step.

    Parameters
    ----------
    step : str
        ``ingest``, ``build`` or ``solve``.
    rows : list of dict
        The rows the batch tasks returned.
    seconds : float
        Wall time of the step.

    Returns
    -------
    dict
        ``total``, ``ok``, ``failed``, ``skipped`` (kept as they were), ``reused``
        (done by an earlier attempt of the same run), ``changed`` (ingest), ``seconds``,
        ``per_second``, ``names`` (sorted names that succeeded) and ``failures``.

    """
    ok = sorted(r["name"] for r in rows if r["ok"])
    failures = [
        {"name": r["name"], "step": r.get("step", step), "error": r.get("error")}
        for r in sorted(rows, key=lambda r: r["name"])
        if not r["ok"]
    ]
    return {
        "step": step,
        "total": len(rows),
        "ok": len(ok),
        "failed": len(failures),
        "skipped": sum(r.get("result") == "skipped" for r in rows),
        "reused": sum(bool(r.get("reused")) for r in rows),
        "changed": sum(r.get("result") in ("added", "updated") for r in rows),
        "seconds": round(seconds, 3),
        "per_second": round(len(rows) / seconds, 3) if seconds > 0 else None,
        "names": ok,
        "failures": failures,
    }


def accounting(steps: dict[str, Any], run_started_at: float) -> dict[str, Any]:
    """Where a run's wall time went, from the batches' stamps (see ``tasks.BatchClock``).

    Parameters
    ----------
    steps : dict
        ``step -> StepResult``.
    run_started_at : float
        Wall clock at the start of the flow run.

    Returns
    -------
    dict
        Per step: ``seconds`` (first batch submitted to last collected), ``workers``
        (per worker process: batches, items, ``busy_s`` (wall time in batches),
        ``cpu_s`` (CPU of the process meanwhile), ``item_s`` (time the items took),
        ``overhead_s`` (busy minus item time: store, Prefect and task start in the
        worker), ``idle_tail_s`` (from its last batch to the step's end)), and
        ``orchestration_s`` (step time not covered by the slowest worker's batches).
        Also ``before_first_step_s``: from the start of the run to the first batch.

    """
    result: dict[str, Any] = {}
    firsts = []
    for name, step in steps.items():
        batches: dict[tuple[str, float], dict[str, Any]] = {}
        for row in step.rows:
            stamp = row.get("batch")
            if stamp:
                key = (stamp["worker"], stamp["start"])
                batch = batches.setdefault(key, dict(stamp, items=0, item_s=0.0))
                batch["items"] += 1
                batch["item_s"] += float(row.get("seconds") or 0.0)
        if not batches:
            continue
        workers: dict[str, dict[str, float]] = {}
        for batch in batches.values():
            w = workers.setdefault(
                batch["worker"],
                {"batches": 0, "items": 0, "busy_s": 0.0, "cpu_s": 0.0, "item_s": 0.0, "last": 0},
            )
            w["batches"] += 1
            w["items"] += batch["items"]
            w["busy_s"] += batch["end"] - batch["start"]
            w["cpu_s"] += batch["cpu_s"]
            w["item_s"] += batch["item_s"]
            w["last"] = max(w["last"], batch["end"])
        for w in workers.values():
            w["overhead_s"] = w["busy_s"] - w["item_s"]
            w["idle_tail_s"] = max(0.0, step.ended_at - w.pop("last"))
            for key in ("busy_s", "cpu_s", "item_s", "overhead_s", "idle_tail_s"):
                w[key] = round(w[key], 3)
        span = step.ended_at - step.started_at
        result[name] = {
            "seconds": round(span, 3),
            "workers": workers,
            "orchestration_s": round(span - max(w["busy_s"] for w in workers.values()), 3),
        }
        firsts.append(min(b["start"] for b in batches.values()))
    if firsts:
        result["before_first_step_s"] = round(min(firsts) - run_started_at, 3)
    return result


def _fmt(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.4g}")
    return value


def _bounded(rows: list[dict[str, Any]], what: str) -> tuple[list[dict[str, Any]], str]:
    if len(rows) <= MAX_TABLE_ROWS:
        return rows, f"{len(rows)} {what}"
    return rows[:MAX_TABLE_ROWS], (
        f"first {MAX_TABLE_ROWS} of {len(rows)} {what} (sorted by name); the full table is "
        "in the store: PastasProject.get_statistics() or the statistics_batch task"
    )


def _md_table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    if not rows:
        return "_none_\n"
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = [str(_fmt(row.get(c))).replace("|", "\\|").replace("\n", " ") for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _short(text: str | None, limit: int = 300) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 3] + "..."


def summary_markdown(title: str, summary: dict[str, Any], stats: list[dict[str, Any]]) -> str:
    """Markdown of a run: counts, wall time, throughput, failures, slowest and worst models.

    Parameters
    ----------
    title : str
        Heading, e.g. ``"Solve models"``.
    summary : dict
        The flow's summary (see the flows).
    stats : list of dict
        Stored statistics per model (``name``, ``evp``, ...).

    Returns
    -------
    str

    """
    lines = [f"# {title}: {summary['headline']}", ""]
    lines.append(f"Store: `{summary['store']}`  ")
    lines.append(
        f"Workers: {summary.get('workers') or '-'} thread(s); "
        f"cluster start {summary.get('cluster_seconds', 0):.1f} s"
    )
    lines += ["", "| step | items | ok | failed | skipped | reused | seconds | per second |"]
    lines.append("|---|---|---|---|---|---|---|---|")
    for s in summary.get("steps", {}).values():
        lines.append(
            f"| {s['step']} | {s['total']} | {s['ok']} | {s['failed']} | {s['skipped']} | "
            f"{s['reused']} | {s['seconds']:.1f} | {s['per_second'] or '-'} |"
        )
    lines += [
        "",
        f"**Wall time** {summary['seconds']:.1f} s · **throughput** "
        f"{summary.get('models_per_second') or 0:.2f} models/s · "
        f"**selected** {summary.get('selected', 0)} · **up to date** "
        f"{summary.get('up_to_date', 0)}",
        "",
    ]
    failures = summary.get("failures", [])
    lines.append(f"## Failures ({len(failures)})\n")
    shown = [f | {"error": _short(f.get("error"), 160)} for f in failures[:20]]
    lines.append(_md_table(shown, ["name", "step", "error"]))
    if len(failures) > 20:
        lines.append(f"... and {len(failures) - 20} more (see the failures table)\n")
    if stats:
        lines.append(checks_markdown(stats))
    lines += _worker_lines(summary.get("accounting") or {})
    lines.append(f"## Slowest models (of this run, top {TOP})\n")
    lines.append(_md_table(summary.get("slowest", []), ["name", "step", "seconds"]))
    worst = sorted((r for r in stats if r.get("evp") is not None), key=lambda r: r["evp"])[:TOP]
    lines.append(f"## Worst-fitting models (lowest EVP, top {TOP})\n")
    lines.append(_md_table(worst, ["name", "evp", "rmse", "nse", "status"]))
    return "\n".join(lines)


def _worker_lines(accounting: dict[str, Any]) -> list[str]:
    """The accounting of each step as a table: where the workers' time went."""
    rows = []
    for step, info in accounting.items():
        if not isinstance(info, dict):
            continue
        for worker, w in info["workers"].items():
            rows.append({"step": step, "worker": worker} | w)
    if not rows:
        return []
    columns = ["step", "worker", "batches", "items", "busy_s", "cpu_s", "overhead_s"]
    columns.append("idle_tail_s")
    return ["## Workers\n", _md_table(rows, columns)]


def checks_markdown(stats: list[dict[str, Any]]) -> str:
    """The pass rate of the checks stored at solve time, for the summary."""
    checked = [r for r in stats if r.get("checks") in ("pass", "fail")]
    passed = sum(r["checks"] == "pass" for r in checked)
    if not checked:
        return "## Checks\n\n_no model of this run has stored checks_\n"
    rate = 100 * passed / len(checked)
    return (
        f"## Checks: {rate:.0f}% pass\n\n**{passed} of {len(checked)}** checked models pass "
        f"all checks (pastas' checks_brakenhoff_2022); the failed ones are in the checks table.\n"
    )


def failed_checks(stats: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of the checks table: each model that failed, with the checks it failed."""
    fixed = {"name", "status", "checks", "solved_at", "error"}
    rows = []
    for row in stats:
        if row.get("checks") != "fail":
            continue
        failed = [k for k, v in row.items() if k not in fixed and v is False]
        rows.append(
            {
                "name": row["name"],
                "failed": len(failed),
                "checks failed": "; ".join(failed),
                "evp": _fmt(row.get("evp")),
            }
        )
    return rows


def same_columns(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with the same keys in the same order (the UI takes the columns of row 1)."""
    columns = list(dict.fromkeys(k for r in rows for k in r))
    return [{k: r.get(k) for k in columns} for r in rows]


def slowest(rows: list[dict[str, Any]], n: int = TOP) -> list[dict[str, Any]]:
    """The ``n`` rows that took longest (``name``, ``step``, ``seconds``)."""
    timed = sorted((r for r in rows if not r.get("reused")), key=lambda r: -r["seconds"])
    return [
        {"name": r["name"], "step": r["step"], "seconds": round(r["seconds"], 3)} for r in timed[:n]
    ]


def publish(
    title: str,
    summary: dict[str, Any],
    stats: list[dict[str, Any]] | None,
    key_prefix: str,
) -> dict[str, str]:
    """Create the fit-statistics table, the failures table and the markdown summary.

    Keys are ``<prefix>-fit-statistics``, ``<prefix>-failures``, ``<prefix>-checks``
    (models that failed a check, with those checks) and ``<prefix>-summary``, so
    the Artifacts page keeps the history of each; the failures and checks tables
    are made even when empty, so the latest one is never stale.

    Parameters
    ----------
    title : str
        Heading of the markdown summary.
    summary : dict
        The flow's summary.
    stats : list of dict or None
        Stored statistics per model, in table order; ``None``: no statistics table.
    key_prefix : str
        Prefix of the artifact keys (made key-safe).

    Returns
    -------
    dict
        ``kind -> artifact key``.

    """
    prefix = slug(key_prefix)
    keys = {k: f"{prefix}-{k}" for k in ("fit-statistics", "failures", "checks", "summary")}
    if stats is None:
        keys.pop("fit-statistics")
        keys.pop("checks")
    else:
        rows = same_columns([{k: _fmt(v) for k, v in r.items()} for r in stats])
        table, what = _bounded(rows, "models")
        description = f"Fit statistics and checks: {what}"
        create_table_artifact(table, key=keys["fit-statistics"], description=description)
        failed, what = _bounded(failed_checks(stats), "models that failed a check")
        create_table_artifact(failed, key=keys["checks"], description=f"Checks: {what}")
    failures = [f | {"error": _short(f.get("error"))} for f in summary.get("failures", [])]
    failure_table, what = _bounded(failures, "failures")
    create_table_artifact(
        failure_table,
        key=keys["failures"],
        description=f"Failed models and series: {what}",
    )
    create_markdown_artifact(
        summary_markdown(title, summary, stats or []),
        key=keys["summary"],
        description=f"{title}: {summary['headline']}",
    )
    return keys


def finish(
    run: FlowRun,
    title: str,
    flow_key: str,
    steps: dict[str, Any],
    primary: list[dict[str, Any]],
    extra: dict[str, Any] | None = None,
    stats_names: list[str] | None = None,
) -> dict[str, Any]:
    """Summarise a flow run, publish its artifacts, and fail it if everything failed.

    Parameters
    ----------
    run : FlowRun
        The run (store, task runner, start time).
    title : str
        E.g. ``"Solve models"``.
    flow_key : str
        Flow name used in artifact keys, e.g. ``"solve-models"``.
    steps : dict
        ``step -> StepResult`` of the steps that ran.
    primary : list of dict
        Rows that decide whether everything failed (e.g. the solve rows).
    extra : dict, optional
        More summary fields (``selected``, ``up_to_date``, ``missing``, ...).
    stats_names : list of str, optional
        Models whose stored statistics go into the fit-statistics table (``None``: no
        such table, e.g. for ingestion).

    Returns
    -------
    dict
        The summary (plain, JSON-serialisable).

    Raises
    ------
    AllFailedError
        If ``primary`` is not empty and none of its rows succeeded.

    """
    from prefect.runtime import flow_run

    from pastas_projects.tasks.statistics import statistics_batch

    block = run.block
    extra = dict(extra or {})
    summaries = {name: step_summary(name, r.rows, r.seconds) for name, r in steps.items()}
    failures = [f for s in summaries.values() for f in s["failures"]]
    failures += [
        {"name": n, "step": "select", "error": "not in the store"} for n in extra.get("missing", [])
    ]
    all_rows = [row for r in steps.values() for row in r.rows]
    seconds = time.perf_counter() - run.started
    counted = summaries.get("solve") or summaries.get("build") or summaries.get("ingest")
    work = counted["seconds"] if counted else 0.0
    ok = sum(bool(r["ok"]) for r in primary)
    summary: dict[str, Any] = {
        "flow": flow_key,
        "flow_run_id": str(flow_run.id) if flow_run.id else None,
        "store": block.display_uri,
        "seconds": round(seconds, 3),
        "cluster_seconds": round(float(getattr(run.runner, "start_seconds", 0.0)), 3),
        "cluster": getattr(run.runner, "cluster_address", None) or "local",
        "workers": max((r.threads for r in steps.values()), default=0),
        "batches": sum(r.batches for r in steps.values()),
        "models_per_second": round(counted["total"] / work, 3) if counted and work else None,
        "ingested": summaries["ingest"]["ok"] if "ingest" in summaries else 0,
        "changed": summaries["ingest"]["changed"] if "ingest" in summaries else 0,
        "built": summaries["build"]["ok"] - summaries["build"]["skipped"]
        if "build" in summaries
        else 0,
        "solved": summaries["solve"]["ok"] if "solve" in summaries else 0,
        "failed": len(failures),
        "solved_names": summaries["solve"]["names"] if "solve" in summaries else [],
        "failures": failures,
        "slowest": slowest(all_rows),
        "accounting": accounting(steps, run.started_at),
        "steps": {
            k: {x: y for x, y in v.items() if x not in ("names", "failures")}
            for k, v in summaries.items()
        },
    } | extra
    summary.setdefault("selected", len(primary))
    summary.setdefault("up_to_date", 0)
    what = {"ingest": "series", "copy": "items"}.get(flow_key, "models")
    summary["headline"] = f"{ok} of {len(primary)} {what} ok, {len(primary) - ok} failed"
    stats = (
        None if stats_names is None else statistics_batch(block, stats_names) if stats_names else []
    )
    summary["artifacts"] = publish(title, summary, stats, f"{flow_key}-{block.connector_name}")
    if stats and "solve" in steps:  # calibrate and solve-models: the fit, pictured
        from pastas_projects.flows._pictures import publish_pictures

        summary["artifacts"] |= publish_pictures(run, title, f"{flow_key}-{block.connector_name}")
    if primary and not ok:
        first = next((f for f in failures if f.get("error")), {"name": "?", "error": "?"})
        raise AllFailedError(
            f"{title}: all {len(primary)} failed; e.g. {first['name']}: {first['error']}", summary
        )
    return summary
