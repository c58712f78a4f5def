"""What a copy, import or export did: one row per item, and the totals.

Every move (:func:`~pastas_projects.transfer.copy_store`, zip import, the way in
from pastastore and back) returns a :class:`TransferReport`. An item that cannot
be moved is recorded with its error and the rest go on.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from pastas_projects.store.outcomes import Outcome

RESULTS = ("added", "updated", "unchanged", "failed")
"""What can happen to an item: written new, replaced, already the same, or not moved."""


@dataclass
class TransferReport:
    """What happened to each item of a copy, import or export.

    Attributes
    ----------
    outcomes : list of Outcome
        One per item, with its ``library``, ``result`` (``"added"``,
        ``"updated"``, ``"unchanged"``) or its ``error``.
    seconds : float
        Wall time of the whole move.

    Examples
    --------
    >>> import pastas_projects as pp
    >>> report = pp.copy_store(pp.DictConnector(), pp.DictConnector())  # doctest: +SKIP
    >>> report.counts()  # doctest: +SKIP

    """

    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, outcome: Outcome) -> None:
        """Record the outcome of one item."""
        self.outcomes.append(outcome)

    @property
    def ok(self) -> bool:
        """Whether every item was moved (or was the same already)."""
        return all(o.ok for o in self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        """The items that were not moved, with their errors."""
        return [o for o in self.outcomes if not o.ok]

    def names(self, library: str, result: str | None = None) -> list[str]:
        """Names of the items of a library, optionally only those with one result."""
        return [
            o.name
            for o in self.outcomes
            if o.library == library and (result is None or _result(o) == result)
        ]

    def counts(self) -> pd.DataFrame:
        """Items per library (rows) and result (columns: added, updated, unchanged, failed)."""
        counter = Counter((o.library, _result(o)) for o in self.outcomes)
        libraries = list(dict.fromkeys(o.library for o in self.outcomes))
        table = pd.DataFrame(
            [[counter[(lib, r)] for r in RESULTS] for lib in libraries],
            index=pd.Index(libraries, name="library"),
            columns=list(RESULTS),
        )
        return table

    def to_frame(self) -> pd.DataFrame:
        """One row per item: ``library``, ``name``, ``result`` and ``error``."""
        return pd.DataFrame(
            [
                {"library": o.library, "name": o.name, "result": _result(o), "error": o.error}
                for o in self.outcomes
            ],
            columns=["library", "name", "result", "error"],
        )

    def summary(self) -> str:
        """One line per library, e.g. ``oseries: 10 added, 2 unchanged``."""
        lines = []
        for library, row in self.counts().iterrows():
            parts = [f"{row[r]} {r}" for r in RESULTS if row[r]]
            lines.append(f"{library}: {', '.join(parts) or 'nothing'}")
        for o in self.failures[:10]:
            lines.append(f"  failed: {o.library} {o.name!r}: {o.error}")
        if len(self.failures) > 10:
            lines.append(f"  ... and {len(self.failures) - 10} more failures")
        return "\n".join(lines) or "nothing to move"

    def __repr__(self) -> str:
        return f"<TransferReport in {self.seconds:.1f} s\n{self.summary()}>"


def _result(outcome: Outcome) -> str:
    return outcome.result if outcome.ok and outcome.result else "failed"
