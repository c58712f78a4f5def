"""The way in from pastastore, and the way back.

``pp.import_pastastore(source, project)`` brings every series, its metadata and
every model of a pastastore into a project: a ``pastastore.PastaStore``, any of its
connectors (``ArcticDBConnector``, ``PasConnector``, ``DictConnector``) or a zip
written by ``PastaStore.to_zip``. ``pp.export_pastastore(project, pstore)`` goes
the other way. Both go through pastastore's public API only, so they work with
pastastore's own validation and layout; pastastore is imported when they run
(``pip install pastastore``, or the ``pastastore`` extra of pastas_projects).

A model is stored here the way ``pr.db.add_model`` stores any model: its series
must be the stored ones, and it rebuilds from them and simulates identically. A
pastastore model whose series is missing (or could not be imported) is reported
and skipped while the rest are imported.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from pastas_projects.connectors.base import BaseConnector
from pastas_projects.errors import ItemExistsError, ModelSeriesError
from pastas_projects.modelling import fit_statistics
from pastas_projects.store import Database
from pastas_projects.store.base import SERIES_LIBRARIES, word
from pastas_projects.store.bookkeeping import HASH_KEY, series_hash, user_metadata
from pastas_projects.store.model_json import model_dict_series_names
from pastas_projects.store.outcomes import Outcome, error_text
from pastas_projects.store.pastas_compat import model_to_json
from pastas_projects.transfer._common import HasDatabase, as_database, moved
from pastas_projects.transfer.report import TransferReport


def _pastastore() -> Any:
    try:
        import pastastore
    except ImportError:
        raise ImportError(
            "pastastore is not installed: pip install pastastore (or pastas_projects[pastastore])"
        ) from None
    return pastastore


def as_pastastore(source: Any) -> Any:
    """A ``pastastore.PastaStore`` for a PastaStore, one of its connectors or its zip.

    A zip written by ``PastaStore.to_zip`` is read into a pastastore
    ``DictConnector`` (in memory).

    Raises
    ------
    TypeError
        For anything else.
    FileNotFoundError
        For a path that does not exist.

    """
    pst = _pastastore()
    if isinstance(source, pst.PastaStore):
        return source
    if isinstance(source, pst.base.BaseConnector):
        return pst.PastaStore(source)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(2, "no such file", str(path))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pst.PastaStore.from_zip(
                str(path), conn=pst.DictConnector(path.stem), progressbar=False
            )
    raise TypeError(
        "expected a pastastore.PastaStore, a pastastore connector or the path of a "
        f"pastastore zip, not {type(source).__name__}"
    )


def _series(pstore: Any, library: str, name: str) -> pd.Series:
    getter = pstore.conn.get_oseries if library == "oseries" else pstore.conn.get_stresses
    series = getter(name)
    if isinstance(series, pd.DataFrame):
        series = series.iloc[:, 0]
    return series.rename(name)


def _metadata(pstore: Any, library: str, name: str) -> dict[str, Any]:
    meta = pstore.conn.get_metadata(library, name, as_frame=False)
    return dict(meta) if isinstance(meta, dict) else {}


def _model_key(text: str) -> dict[str, Any]:
    """What makes two models the same: series, stress models, noise model, parameters.

    Two dumps of one model differ in ways that do not change it (the times in
    ``file_info``, how a zero time offset is written, solver options), so the JSON
    texts are not compared as they are.
    """
    data = json.loads(text)
    parameters = data.get("parameters")
    if isinstance(parameters, str):
        parameters = json.loads(parameters)
    return _plain_floats(
        {
            "oseries": str(data["oseries"]["name"]),
            "series": sorted(model_dict_series_names(data)),
            "stressmodels": {
                name: sm.get("class", sm.get("stressmodel"))
                for name, sm in data["stressmodels"].items()
            },
            "noisemodel": (data.get("noisemodel") or {}).get("class"),
            "constant": bool(data.get("constant")),
            "parameters": parameters,
        }
    )


def _plain_floats(value: Any) -> Any:
    """NaN as None, recursively, so that equal parameter tables compare equal."""
    if isinstance(value, dict):
        return {k: _plain_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_floats(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    return value


def _solved(ml: Any) -> bool:
    return bool(ml.parameters["optimal"].notna().all())


def _failed(library: str, name: str, step: str, error: str) -> Outcome:
    outcome = Outcome(name, False, step, 0.0, error)
    outcome.library = library
    return outcome


def _unchanged(library: str, name: str, step: str) -> Outcome:
    outcome = Outcome(name, True, step, 0.0, result="unchanged")
    outcome.library = library
    return outcome


def _clash_error(clashes: list[tuple[str, str]], where: str) -> ItemExistsError:
    shown = ", ".join(f"{word(lib)} {n!r}" for lib, n in clashes[:5])
    more = f" and {len(clashes) - 5} more" if len(clashes) > 5 else ""
    return ItemExistsError(
        f"{len(clashes)} item(s) are in {where} already and differ: {shown}{more}; "
        "use overwrite=True to replace them. Nothing was written."
    )


def _warn_skipped(report: TransferReport, where: str) -> None:
    skipped = [o for o in report.failures if o.library == "models"]
    if skipped:
        shown = "; ".join(f"{o.name}: {o.error}" for o in skipped[:3])
        more = f"; and {len(skipped) - 3} more" if len(skipped) > 3 else ""
        warnings.warn(
            f"{len(skipped)} model(s) were skipped {where}: {shown}{more} (see report.failures)",
            stacklevel=3,
        )


# ---------------------------------------------------------------------- pastastore -> here
def import_pastastore(
    source: Any,
    project: HasDatabase | Database | BaseConnector | str,
    names: str | Iterable[str] | None = None,
    overwrite: bool = False,
    statistics: bool = True,
    progressbar: bool = True,
) -> TransferReport:
    """Bring the series, metadata and models of a pastastore into a project.

    Parameters
    ----------
    source : pastastore.PastaStore, pastastore connector, or str or path
        The pastastore, one of its connectors (``ArcticDBConnector``,
        ``PasConnector``, ``DictConnector``), or a zip written by
        ``PastaStore.to_zip``.
    project : PastasProject, Database, BaseConnector or str
        Where to store them: a project, its ``db``, a connector or a store URI.
    names : str or list of str, optional
        Only these models and the series they use (default: every series and model).
    overwrite : bool, optional
        Replace series and models that differ in the project. Without it, an import
        that would replace anything raises before writing.
    statistics : bool, optional
        Compute and store the fit statistics of solved models (one simulation each),
        so ``pr.get_statistics()`` has them at once.
    progressbar : bool, optional
        Show a progress bar.

    Returns
    -------
    TransferReport
        What happened to each series and model. A model whose series is missing in
        the pastastore, or could not be imported, is a failure with the reason
        (and a warning says so); the other items are imported.

    Raises
    ------
    ItemExistsError
        If items differ in the project and ``overwrite`` is False (nothing written).
    ImportError
        If pastastore is not installed.

    Examples
    --------
    >>> import pastastore as pst  # doctest: +SKIP
    >>> import pastas_projects as pp  # doctest: +SKIP
    >>> pstore = pst.PastaStore(pst.PasConnector("my_store", "./pastas_db"))  # doctest: +SKIP
    >>> pr = pp.PastasProject("my_project", pp.connect("lmdb://./pastas_data"))  # doctest: +SKIP
    >>> pp.import_pastastore(pstore, pr)  # doctest: +SKIP

    """
    started = time.perf_counter()
    pstore = as_pastastore(source)
    db = as_database(project, "project")
    report = TransferReport()
    available = {
        "oseries": set(map(str, pstore.conn.oseries_names)),
        "stresses": set(map(str, pstore.conn.stresses_names)),
    }
    model_names = [str(n) for n in pstore.conn.model_names]
    if names is not None:
        asked = [names] if isinstance(names, str) else list(names)
        missing = [n for n in asked if n not in model_names]
        if missing:
            raise KeyError(f"model {missing[0]!r} is not in the pastastore")
        model_names = asked
    needs: dict[str, list[tuple[str, str]]] = {}
    for name in model_names:
        try:
            needs[name] = model_dict_series_names(pstore.conn.get_models(name, return_dict=True))
        except Exception as err:  # noqa: BLE001 - a model pastastore cannot read is skipped
            report.add(_failed("models", name, "import", f"cannot be read: {error_text(err)}"))
    wanted: dict[str, list[str]] = {lib: [] for lib in SERIES_LIBRARIES}
    if names is None:
        wanted = {lib: sorted(available[lib]) for lib in SERIES_LIBRARIES}
    else:
        for series in needs.values():
            for library, series_name in series:
                if series_name in available[library] and series_name not in wanted[library]:
                    wanted[library].append(series_name)
    todo = _plan_import(pstore, db, wanted, [n for n in model_names if n in needs], overwrite)
    total = sum(map(len, todo.values()))
    with tqdm(total=total, desc="Importing", disable=not progressbar) as bar:
        for library in SERIES_LIBRARIES:
            for name in wanted[library]:
                if name not in todo[library]:
                    report.add(_unchanged(library, name, "import"))
                    continue

                def work(library: str = library, name: str = name) -> str:
                    series = _series(pstore, library, name)
                    meta = _metadata(pstore, library, name)
                    if library == "oseries":
                        return db.add_oseries(series, name, meta, overwrite, force=overwrite)
                    return db.add_stress(
                        series, name, metadata=meta, overwrite=overwrite, force=overwrite
                    )

                report.add(moved("import", library, name, work))
                bar.update(1)
        failed = {(o.library, o.name): o.error for o in report.failures}
        for name in needs:
            if name not in todo["models"]:
                report.add(_unchanged("models", name, "import"))
                continue
            problem = _missing_series(name, needs[name], available, failed)
            if problem:
                report.add(_failed("models", name, "import", problem))
            else:
                report.add(
                    moved(
                        "import",
                        "models",
                        name,
                        lambda n=name: _add_model(pstore, db, n, overwrite, statistics),
                    )
                )
            bar.update(1)
    report.seconds = time.perf_counter() - started
    _warn_skipped(report, "while importing from pastastore")
    return report


def _missing_series(
    model: str,
    needed: list[tuple[str, str]],
    available: dict[str, set[str]],
    failed: dict[tuple[str, str], str | None],
) -> str | None:
    """Why a model cannot be imported because of its series (None: it can)."""
    for library, series_name in needed:
        if series_name not in available[library]:
            return (
                f"model {model!r} uses {word(library)} {series_name!r}, which is not in the "
                "pastastore; skipped"
            )
        if (library, series_name) in failed:
            return (
                f"model {model!r} uses {word(library)} {series_name!r}, which could not be "
                f"imported ({failed[(library, series_name)]}); skipped"
            )
    return None


def _add_model(pstore: Any, db: Database, name: str, overwrite: bool, statistics: bool) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ml = pstore.get_models(name)
    ml.name = name
    stats = None
    if statistics and _solved(ml):
        try:
            stats = fit_statistics(ml.copy())  # simulating sets settings: keep ml as read
        except Exception:  # noqa: BLE001 - the model goes in without statistics
            stats = None
    try:
        return db.add_model(ml, overwrite=overwrite, statistics=stats)
    except ModelSeriesError as err:
        raise ModelSeriesError(f"{err} (the pastastore model differs from its series)") from None


def _plan_import(
    pstore: Any,
    db: Database,
    wanted: dict[str, list[str]],
    models: list[str],
    overwrite: bool,
) -> dict[str, list[str]]:
    """What to write: items not in the project, or differing (with ``overwrite``).

    Only items already in the project are read from the pastastore here, to compare.
    """
    todo: dict[str, list[str]] = {}
    clashes: list[tuple[str, str]] = []
    for library in SERIES_LIBRARIES:
        mine = db.series_records(library, wanted[library])
        todo[library] = []
        for name in wanted[library]:
            if name in mine:
                record = mine[name]
                try:
                    series = _series(pstore, library, name)
                    same = record.get(HASH_KEY) == series_hash(series) and user_metadata(
                        record
                    ) == _metadata(pstore, library, name)
                except Exception:  # noqa: BLE001 - an unreadable series is a failure later
                    same = False
                if same:
                    continue
                clashes.append((library, name))
            todo[library].append(name)
    present = set(db.model_names)
    todo["models"] = []
    for name in models:
        if name in present:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    theirs = _model_key(model_to_json(pstore.get_models(name)))
                same = _model_key(db.read_item("models", name).data) == theirs
            except Exception:  # noqa: BLE001 - compared as different
                same = False
            if same:
                continue
            clashes.append(("models", name))
        todo["models"].append(name)
    if clashes and not overwrite:
        raise _clash_error(clashes, "the project")
    return todo


# ---------------------------------------------------------------------- here -> pastastore
def export_pastastore(
    project: HasDatabase | Database | BaseConnector | str,
    pstore: Any,
    names: str | Iterable[str] | None = None,
    overwrite: bool = False,
    progressbar: bool = True,
) -> TransferReport:
    """Write the series, metadata and models of a project into a pastastore.

    Parameters
    ----------
    project : PastasProject, Database, BaseConnector or str
        The project (or its ``db``, a connector or a store URI).
    pstore : pastastore.PastaStore or pastastore connector
        The target.
    names : str or list of str, optional
        Only these models and the series they use (default: every series and model).
    overwrite : bool, optional
        Replace series and models that differ in the pastastore. Without it, an
        export that would replace anything raises before writing.
    progressbar : bool, optional
        Show a progress bar.

    Returns
    -------
    TransferReport

    Notes
    -----
    Series go in with pastastore's ``validate=False``: they passed this store's
    checks, and pastas' stricter checks (e.g. equidistant stresses) would refuse
    series pastas models use. pastastore keeps no bookkeeping: statistics, status
    and series hashes stay behind.

    Examples
    --------
    >>> import pastastore as pst  # doctest: +SKIP
    >>> pstore = pst.PastaStore(pst.PasConnector("exported", "./pastas_db"))  # doctest: +SKIP
    >>> pp.export_pastastore(pr, pstore)  # doctest: +SKIP

    """
    started = time.perf_counter()
    pst = _pastastore()
    if isinstance(pstore, pst.base.BaseConnector):
        pstore = pst.PastaStore(pstore)
    if not isinstance(pstore, pst.PastaStore):
        raise TypeError(
            "expected a pastastore.PastaStore or a pastastore connector, not "
            f"{type(pstore).__name__}"
        )
    db = as_database(project, "project")
    models = (
        db.model_names if names is None else ([names] if isinstance(names, str) else list(names))
    )
    records = db.model_records(models)
    if names is None:
        wanted = {lib: db.names(lib) for lib in SERIES_LIBRARIES}
    else:
        wanted = {lib: [] for lib in SERIES_LIBRARIES}
        for record in records.values():
            for key in record.get("inputs") or {}:
                library, series_name = key.split("/", 1)
                if series_name not in wanted[library]:
                    wanted[library].append(series_name)
    conn = pstore.conn
    theirs = {"oseries": set(conn.oseries_names), "stresses": set(conn.stresses_names)}
    todo, clashes = {}, []
    for library in SERIES_LIBRARIES:
        todo[library] = []
        metadata = db.series_records(library, wanted[library])
        for name in wanted[library]:
            if name in theirs[library]:
                try:
                    same = _same_series(pstore, db, library, name, metadata[name])
                except Exception:  # noqa: BLE001 - compared as different
                    same = False
                if same:
                    continue
                clashes.append((library, name))
            todo[library].append(name)
    present = set(map(str, conn.model_names))
    todo["models"] = []
    for name in models:
        if name in present:
            try:
                ours = _model_key(db.read_item("models", name).data)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    same = _model_key(model_to_json(pstore.get_models(name))) == ours
            except Exception:  # noqa: BLE001 - compared as different
                same = False
            if same:
                continue
            clashes.append(("models", name))
        todo["models"].append(name)
    if clashes and not overwrite:
        raise _clash_error(clashes, "the pastastore")
    report = TransferReport()
    total = sum(map(len, todo.values()))
    with (
        tqdm(total=total, desc="Exporting", disable=not progressbar) as bar,
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        for library in SERIES_LIBRARIES:
            for name in wanted[library]:
                if name not in todo[library]:
                    report.add(_unchanged(library, name, "export"))
                    continue
                report.add(
                    _exported(
                        library,
                        name,
                        lambda lib=library, n=name: _export_series(pstore, db, lib, n, overwrite),
                    )
                )
                bar.update(1)
        for name in models:
            if name not in todo["models"]:
                report.add(_unchanged("models", name, "export"))
                continue
            report.add(
                _exported("models", name, lambda n=name: _export_model(pstore, db, n, overwrite))
            )
            bar.update(1)
    report.seconds = time.perf_counter() - started
    _warn_skipped(report, "while exporting to pastastore")
    return report


def _same_series(pstore: Any, db: Database, library: str, name: str, record: dict) -> bool:
    series = _series(pstore, library, name)
    return series_hash(series) == record.get(HASH_KEY) and _metadata(
        pstore, library, name
    ) == user_metadata(record)


def _export_series(pstore: Any, db: Database, library: str, name: str, overwrite: bool) -> str:
    existed = name in (
        pstore.conn.oseries_names if library == "oseries" else pstore.conn.stresses_names
    )
    series = db.get_oseries(name) if library == "oseries" else db.get_stresses(name)
    meta = user_metadata(db.series_records(library, [name])[name])
    if library == "oseries":
        pstore.conn.add_oseries(series, name, metadata=meta, validate=False, overwrite=overwrite)
    else:
        kind = meta.get("kind")
        pstore.conn.add_stress(
            series, name, kind=kind, metadata=meta, validate=False, overwrite=overwrite
        )
    return "updated" if existed else "added"


def _export_model(pstore: Any, db: Database, name: str, overwrite: bool) -> str:
    existed = name in set(map(str, pstore.conn.model_names))
    pstore.conn.add_model(db.get_models(name), overwrite=overwrite)
    return "updated" if existed else "added"


def _exported(library: str, name: str, work: Any) -> Outcome:
    """Like :func:`moved`, but pastastore raises its own exception types: all are recorded."""
    start = time.perf_counter()
    try:
        result = work()
    except Exception as err:  # noqa: BLE001 - recorded per item, the export goes on
        outcome = Outcome(name, False, "export", time.perf_counter() - start, error_text(err))
    else:
        outcome = Outcome(name, True, "export", time.perf_counter() - start, result=result)
    outcome.library = library
    return outcome
