"""Helpers the flows share: UI-friendly flows, model selection, the all-failed rule."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from typing import Any

from prefect import Flow, flow
from prefect.utilities.callables import parameter_schema

from pastas_projects.blocks import PastasStoreBlock, load_store_block
from pastas_projects.database import Database
from pastas_projects.errors import PastasProjectsError

DEFAULT_STORE = "pastas-store"
"""Name of the saved store block the flows use by default."""


class AllFailedError(PastasProjectsError, RuntimeError):
    """Every item of a run failed; ``summary`` holds what happened.

    Parameters
    ----------
    message : str
        What failed, e.g. the first error.
    summary : dict, optional
        The run summary (counts, failures).

    """

    def __init__(self, message: str, summary: dict | None = None) -> None:
        super().__init__(message)
        self.summary = summary or {}

    def __reduce__(self) -> tuple:
        return (type(self), (self.args[0] if self.args else "", self.summary))


def numpy_parameter_docs(doc: str | None) -> dict[str, str]:
    """Parameter descriptions from the numpy-style ``Parameters`` section of ``doc``."""
    if not doc:
        return {}
    import inspect

    from griffe import Docstring, DocstringSectionKind, Parser, parse

    found: dict[str, str] = {}
    for section in parse(Docstring(inspect.cleandoc(doc)), Parser.numpy):
        if section.kind == DocstringSectionKind.parameters:
            for parameter in section.value:
                for name in parameter.name.split(","):
                    found[name.strip()] = " ".join(parameter.description.split())
    return found


def ui_flow(**flow_kwargs: Any) -> Callable[[Callable[..., Any]], Flow]:
    """Like :func:`prefect.flow`, and show the numpy-documented parameters in the UI.

    Prefect reads parameter descriptions only from Google-style docstrings. This
    appends an ``Args:`` section, made from the numpy ``Parameters`` section, to the
    flow object's ``__doc__`` (from which deployments take their parameter schema);
    the function's own docstring stays as written.
    """

    def decorate(fn: Callable[..., Any]) -> Flow:
        made: Flow = flow(**flow_kwargs)(fn)
        docs = numpy_parameter_docs(fn.__doc__)
        if docs:
            lines = [f"    {name}: {text}" for name, text in docs.items()]
            made.__doc__ = (fn.__doc__ or "") + "\n\nArgs:\n" + "\n".join(lines) + "\n"
            made.parameters = parameter_schema(made)
        return made

    return decorate


def resolve_store(store: PastasStoreBlock | str) -> PastasStoreBlock:
    """The block for a flow's ``store`` parameter (a block or a saved block's name)."""
    return load_store_block(store)


def select_names(
    available: Iterable[str], names: list[str] | None, pattern: str | None
) -> tuple[list[str], list[str]]:
    """Pick names by an explicit list and/or a glob pattern.

    Parameters
    ----------
    available : iterable of str
        Names in the store.
    names : list of str, optional
        Wanted names (default: all available).
    pattern : str, optional
        Glob pattern (``fnmatch``, e.g. ``"B58*"``) the names must match.

    Returns
    -------
    (list of str, list of str)
        Selected names in the store (sorted, or in the order of ``names``), and
        names asked for that are not in the store.

    """
    available = sorted(set(available))
    if names is None:
        chosen, missing = available, []
    else:
        present = set(available)
        unique = list(dict.fromkeys(str(n) for n in names))
        chosen = [n for n in unique if n in present]
        missing = [n for n in unique if n not in present]
    if pattern:
        chosen = [n for n in chosen if fnmatch.fnmatchcase(n, pattern)]
    return chosen, missing


def select_models(
    db: Database, names: list[str] | None, pattern: str | None, only_changed: bool
) -> tuple[list[str], list[str], list[str]]:
    """Models to solve: selected by name/pattern, optionally only the stale ones.

    Returns
    -------
    (list of str, list of str, list of str)
        Models to solve, models asked for that are not in the store, and selected
        models skipped because they are up to date.

    """
    chosen, missing = select_names(db.model_names, names, pattern)
    if not only_changed or not chosen:
        return chosen, missing, []
    stale = set(db.stale_models(chosen))
    return [n for n in chosen if n in stale], missing, [n for n in chosen if n not in stale]


def check_positive(**values: int | None) -> None:
    """Raise a clear ``ValueError`` for a count parameter below 1."""
    for name, value in values.items():
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ValueError(f"{name} must be a whole number >= 1, not {value!r}")
