"""Which models a run builds: the one rule for "skip existing models".

No pastas here, so the flows can plan a run without importing it.
"""

from __future__ import annotations

from collections.abc import Iterable

from pastas_projects.store import Database


def models_to_build(
    db: Database, names: Iterable[str], overwrite: bool
) -> tuple[list[str], list[str]]:
    """Split model names into those to build and those that exist and are kept.

    The one rule for "skip existing models": without ``overwrite`` a stored model is
    never built again.

    Returns
    -------
    (list of str, list of str)
        Names to build and names kept, each in the order given.

    """
    names = list(names)
    if overwrite:
        return names, []
    kept, absent = db.select_names("models", names)
    return absent, kept
