"""Copy series and models between any two stores, bookkeeping included.

Items move as the store keeps them (:meth:`Database.read_item` and
:meth:`Database.write_item`): series values, index, frequency and metadata exactly,
and each model's JSON with its whole record (status, statistics, parameters, the
hashes of the series it used, checks, ...). So after a copy ``only_changed`` knows
in the target what it knew in the source.

A copy first plans (records only, no data read): what is new in the target, what is
already the same there, and what clashes. A clash stops the copy before anything is
written, unless ``overwrite=True``. Items already the same are not written again,
so a copy that was interrupted is finished by running it again, and nothing is
written twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tqdm.auto import tqdm

from pastas_projects.connectors.base import BaseConnector
from pastas_projects.errors import ItemExistsError, ItemNotFoundError
from pastas_projects.store import Database
from pastas_projects.store.base import SERIES_LIBRARIES, word
from pastas_projects.store.bookkeeping import split_series_key
from pastas_projects.store.items import records_match
from pastas_projects.store.outcomes import Outcome
from pastas_projects.transfer._common import HasDatabase, as_database, chosen_libraries, moved
from pastas_projects.transfer.report import TransferReport


@dataclass
class CopyPlan:
    """What a copy will do, decided from the records of both stores.

    Attributes
    ----------
    todo : dict
        ``library -> names`` to write (new in the target, or differing with
        ``overwrite=True``), in the order they are written.
    unchanged : dict
        ``library -> names`` that are the same in the target already.
    clashes : dict
        ``library -> names`` in the target that differ from the source.

    """

    todo: dict[str, list[str]] = field(default_factory=dict)
    unchanged: dict[str, list[str]] = field(default_factory=dict)
    clashes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Items to write."""
        return sum(map(len, self.todo.values()))


def plan_copy(
    source: Database,
    target: Database,
    libraries: str | Iterable[str] | None = None,
    names: str | Iterable[str] | None = None,
    overwrite: bool = False,
) -> CopyPlan:
    """Decide what a copy writes, from the records of both stores (no data is read).

    Parameters
    ----------
    source, target : Database
        The stores.
    libraries : str or list of str, optional
        ``"oseries"``, ``"stresses"`` and/or ``"models"`` (default all three).
    names : str or list of str, optional
        Only items of these names (default all). A chosen model brings the series it
        uses along, when their library is among ``libraries``.
    overwrite : bool, optional
        Whether items that differ in the target are to be replaced.

    Returns
    -------
    CopyPlan

    Raises
    ------
    ItemNotFoundError
        If a name is in none of the chosen libraries of the source.
    ItemExistsError
        If items differ in the target and ``overwrite`` is False; the message names
        them. Nothing is written then.

    """
    chosen = chosen_libraries(libraries)
    wanted: dict[str, list[str]] = {}
    records: dict[str, dict[str, dict]] = {}
    if names is None:
        for library in chosen:
            wanted[library] = source.names(library)
    else:
        asked = list(dict.fromkeys([names] if isinstance(names, str) else names))
        found = set()
        for library in reversed(chosen):  # models first: they name the series they use
            present = [n for n in asked if source.has(library, n)]
            wanted[library] = present
            found.update(present)
        missing = [n for n in asked if n not in found]
        if missing:
            raise ItemNotFoundError(
                f"{missing[0]!r}{f' (and {len(missing) - 1} more)' if len(missing) > 1 else ''}"
                f" is not in the {'/'.join(chosen)} of the source store"
            )
        if "models" in chosen:
            records["models"] = source.model_records(wanted["models"])
            for record in records["models"].values():
                for key in record.get("inputs") or {}:
                    library, series_name = split_series_key(key)
                    if library in wanted and series_name not in wanted[library]:
                        if source.has(library, series_name):
                            wanted[library].append(series_name)
    plan = CopyPlan()
    for library in chosen:
        todo = wanted[library]
        if library in SERIES_LIBRARIES:
            mine = source.series_records(library, todo)
            theirs = target.series_records(library, todo)
        else:
            mine = records.get("models") or source.model_records(todo, missing="skip")
            theirs = target.model_records(todo, missing="skip")
        same = [
            n
            for n in todo
            if n in theirs and n in mine and records_match(library, mine[n], theirs[n])
        ]
        differ = [n for n in todo if n in theirs and n not in same]
        plan.unchanged[library] = same
        plan.clashes[library] = differ
        skip = set(same) if overwrite else set(same) | set(differ)
        plan.todo[library] = [n for n in todo if n not in skip]
    clashes = [(lib, n) for lib, ns in plan.clashes.items() for n in ns]
    if clashes and not overwrite:
        shown = ", ".join(f"{word(lib)} {n!r}" for lib, n in clashes[:5])
        more = f" and {len(clashes) - 5} more" if len(clashes) > 5 else ""
        raise ItemExistsError(
            f"{len(clashes)} item(s) are in the target store already and differ: {shown}{more}; "
            "use overwrite=True to replace them. Nothing was copied."
        )
    return plan


def copy_items(
    source: Database,
    target: Database,
    library: str,
    names: Iterable[str],
    overwrite: bool = False,
    progress: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Copy items of one library, each with its record; failures are recorded per item.

    The work of one batch: :func:`copy_store` runs it per library, the copy task runs
    it on Dask workers.

    Parameters
    ----------
    source, target : Database
        The stores.
    library : {"oseries", "stresses", "models"}
        The library.
    names : iterable of str
        Items to copy (write the series before the models that use them).
    overwrite : bool, optional
        Replace items that differ in the target.
    progress : callable, optional
        Called with each :class:`Outcome`.

    Returns
    -------
    list of Outcome
        ``result`` is ``"added"``, ``"updated"`` or ``"unchanged"``; a failed item
        has ``ok=False`` and its ``error``.

    Raises
    ------
    StoreConnectionError
        If a store becomes unreachable (run the copy again to finish it).

    """
    outcomes = []
    for name in names:

        def work(name: str = name) -> str:
            item = source.read_item(library, name)
            return target.write_item(library, name, item.data, item.metadata, overwrite)

        outcome = moved("copy", library, name, work)
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return outcomes


def copy_store(
    src: HasDatabase | Database | BaseConnector | str,
    dst: HasDatabase | Database | BaseConnector | str,
    libraries: str | Iterable[str] | None = None,
    names: str | Iterable[str] | None = None,
    overwrite: bool = False,
    progressbar: bool = True,
) -> TransferReport:
    """Copy series and models from one store to another, with their bookkeeping.

    Works between any two connectors (ArcticDB on LMDB, MongoDB or S3, PyStore,
    Dict, custom ones). Series keep their values, index, frequency and metadata
    exactly; models keep their JSON and their whole record (status, statistics,
    parameters, the content hashes of the series they used, ...), so models that
    were up to date in the source are up to date in the target, and
    ``solve_models(only_changed=True)`` solves the same ones. Only the latest
    version of each item is copied.

    Parameters
    ----------
    src, dst : PastasProject, Database, BaseConnector or str
        The source and the target: a project, its ``db``, a connector, or a store
        URI (which opens the connector named ``pastas_projects``).
    libraries : str or list of str, optional
        ``"oseries"``, ``"stresses"`` and/or ``"models"`` (default all three).
    names : str or list of str, optional
        Only items of these names (default all); a chosen model brings the series
        it uses along (from the libraries chosen).
    overwrite : bool, optional
        Replace items that differ in the target. Without it, a copy that would
        replace anything raises before writing.
    progressbar : bool, optional
        Show a progress bar.

    Returns
    -------
    TransferReport
        What happened to each item. Items that were the same in the target already
        are ``"unchanged"`` and were not written again: run an interrupted copy
        again to finish it.

    Raises
    ------
    ItemExistsError
        If items differ in the target and ``overwrite`` is False (nothing written).
    ItemNotFoundError
        If a name in ``names`` is not in the source.
    StoreConnectionError
        If a store cannot be reached.

    Examples
    --------
    >>> import pastas_projects as pp
    >>> report = pp.copy_store("lmdb://./pastas_data", "mongodb://db:27017/")  # doctest: +SKIP
    >>> report.counts()  # doctest: +SKIP

    """
    started = time.perf_counter()
    source, target = as_database(src, "source"), as_database(dst, "target")
    plan = plan_copy(source, target, libraries, names, overwrite)
    report = TransferReport()
    for library, same in plan.unchanged.items():
        for name in same:
            outcome = Outcome(name, True, "copy", 0.0, result="unchanged")
            outcome.library = library
            report.add(outcome)
    with tqdm(total=plan.total, desc="Copying", disable=not progressbar) as bar:
        for library, todo in plan.todo.items():
            bar.set_description(f"Copying {library}")

            def progress(outcome: Outcome) -> None:
                report.add(outcome)
                bar.update(1)

            copy_items(source, target, library, todo, overwrite, progress)
    report.seconds = time.perf_counter() - started
    return report
