"""What happened to one item of a batch: the row every bulk step reports.

Ingest, build and solve work through many items and never stop at a failing one:
each item gets an :class:`Outcome`, and a failure is recorded, not raised.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Outcome:
    """What happened to one item (a series or a model) in a batch.

    Attributes
    ----------
    name : str
        The item.
    ok : bool
        Whether the step succeeded.
    step : str
        ``"ingest"``, ``"build"`` or ``"solve"``.
    seconds : float
        Time spent on this item.
    error : str or None
        The error, as ``"Type: message"``, when it failed.
    statistics : dict
        Fit statistics of a solved model.
    result : str or None
        What a write did: ``"added"``, ``"updated"``, ``"unchanged"`` (ingest) or
        ``"skipped"`` (build: the model existed and was kept).
    library : str or None
        Library of an ingested series (``"oseries"`` or ``"stresses"``).

    """

    name: str
    ok: bool
    step: str
    seconds: float
    error: str | None = None
    statistics: dict[str, float | None] = field(default_factory=dict)
    result: str | None = None
    library: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict, e.g. for a table row."""
        return asdict(self)


def error_text(err: BaseException) -> str:
    """How an error is recorded: ``"Type: message"``."""
    return f"{type(err).__name__}: {err}"
