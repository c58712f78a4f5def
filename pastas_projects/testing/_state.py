"""What a store holds, as one comparable value: to check that a failed call changed nothing."""

from __future__ import annotations

import hashlib

import pandas as pd

from pastas_projects.connectors.base import LIBRARIES
from pastas_projects.store import Database


def store_state(db: Database) -> dict:
    """Everything in a store, hashed: ``(library, name) -> (data hash, record)``."""
    state = {}
    for library in LIBRARIES:
        for name in db.names(library):
            item = db.read_item(library, name)
            data = item.data
            raw = (
                data.encode() if isinstance(data, str) else pd.util.hash_pandas_object(data).values
            )
            state[(library, name)] = (hashlib.sha1(bytes(raw)).hexdigest(), item.metadata)
    return state
