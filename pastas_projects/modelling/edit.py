"""Change stored models: each change is written as a new, unsolved version of the model."""

from __future__ import annotations

from collections.abc import Iterable

import pastas as ps

from pastas_projects.store import Database, SeriesCache


def add_noise_models(db: Database, names: Iterable[str]) -> int:
    """Give stored models without a noise model an AR(1) noise model.

    Each changed model is stored unsolved, so ``solve_models(only_changed=True)``
    solves it next; on Arctic the previous version stays readable.

    Parameters
    ----------
    db : Database
        The store.
    names : iterable of str
        Models to look at.

    Returns
    -------
    int
        How many models got one.

    """
    cache = SeriesCache(db)
    added = 0
    for name in names:
        rebuilt = db.rebuild_model(name, cache=cache)
        if rebuilt.model.noisemodel is not None:
            continue
        ps.ArNoiseModel(rebuilt.model)  # attaches itself to the model
        db.write_model(rebuilt.model, rebuilt.inputs, rebuilt.versions)
        added += 1
    return added
