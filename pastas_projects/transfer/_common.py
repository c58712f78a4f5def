"""What the moves share: opening either side, choosing libraries, one item's outcome."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, Protocol

from pastas_projects.connectors import connect
from pastas_projects.connectors.base import LIBRARIES, BaseConnector
from pastas_projects.errors import PastasProjectsError, StoreConnectionError
from pastas_projects.store import Database
from pastas_projects.store.outcomes import Outcome, error_text

SERIES_FIRST = ("oseries", "stresses", "models")
"""The order items move in: a model is written after the series it uses."""


class HasDatabase(Protocol):
    """A project (:class:`pastas_projects.PastasProject`): anything with a ``db``."""

    db: Database


def as_database(store: HasDatabase | Database | BaseConnector | str, role: str) -> Database:
    """The :class:`Database` of a project, a connector or a store URI.

    A URI opens the connector named ``pastas_projects`` (the command line's default);
    open another with ``pp.connect(uri, name=...)``.

    Raises
    ------
    TypeError
        For anything else.
    StoreConnectionError
        If the store behind a URI cannot be reached.

    """
    db = getattr(store, "db", store)  # a PastasProject holds its Database as .db
    if isinstance(db, Database):
        return db
    if isinstance(store, BaseConnector):
        return Database(store)
    if isinstance(store, str):
        return Database(connect(store))
    raise TypeError(
        f"the {role} must be a PastasProject, a Database, a connector or a store URI, "
        f"not {type(store).__name__}"
    )


def chosen_libraries(libraries: str | Iterable[str] | None) -> list[str]:
    """The libraries to move, in :data:`SERIES_FIRST` order."""
    if libraries is None:
        return list(SERIES_FIRST)
    wanted = [libraries] if isinstance(libraries, str) else list(libraries)
    unknown = [lib for lib in wanted if lib not in LIBRARIES]
    if unknown:
        raise ValueError(
            f"unknown librar{'y' if len(unknown) == 1 else 'ies'} {unknown}; "
            f"choose from {list(LIBRARIES)}"
        )
    return [lib for lib in SERIES_FIRST if lib in wanted]


def moved(step: str, library: str, name: str, work: Any) -> Outcome:
    """Run ``work()`` for one item and record what happened.

    An error of the item itself (bad values, a missing series, a clash) is recorded
    and the caller goes on with the next item; an unreachable store is raised, since
    every later item would fail the same way (run the move again to finish it).
    """
    start = time.perf_counter()
    try:
        result = work()
    except StoreConnectionError:
        raise
    except (PastasProjectsError, ValueError, TypeError, KeyError) as err:
        outcome = Outcome(name, False, step, time.perf_counter() - start, error_text(err))
    else:
        outcome = Outcome(name, True, step, time.perf_counter() - start, result=result)
    outcome.library = library
    return outcome
