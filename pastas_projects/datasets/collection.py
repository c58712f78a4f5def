"""Series and their metadata in memory, ready to store: one class for every caller.

A :class:`SeriesCollection` is what the bundled data sets return and what the flows
take as their ``data`` parameter. Prefect sends flow parameters to its API as JSON
of at most 512 KB, so a collection is recorded there as counts only:

>>> from pastas_projects.datasets import synthetic
>>> synthetic(3).model_dump()
{'oseries': 3, 'stresses': 8, 'in_memory': True}
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_serializer

FIELDS = ("oseries", "oseries_metadata", "stresses", "stresses_metadata", "meteo")


class SeriesCollection(BaseModel):
    """Series and metadata ready to store, and which meteo belongs to which head.

    Attributes
    ----------
    oseries : dict of str to pandas.Series
        Head series, by name.
    oseries_metadata : dict of str to dict
        JSON-serialisable metadata per head, e.g. ``x``, ``y``.
    stresses : dict of str to pandas.Series
        Stress series by name.
    stresses_metadata : dict of str to dict
        JSON-serialisable metadata per stress: ``kind`` (``"prec"``, ``"evap"``,
        ``"well"``, ...), ``x``, ``y``, ...
    meteo : dict of str to tuple of str
        ``head name -> (precipitation name, evaporation name)``, where known.

    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    oseries: dict[str, Any] = Field(default_factory=dict)
    oseries_metadata: dict[str, dict] = Field(default_factory=dict)
    stresses: dict[str, Any] = Field(default_factory=dict)
    stresses_metadata: dict[str, dict] = Field(default_factory=dict)
    meteo: dict[str, tuple[str, str]] = Field(default_factory=dict)

    @model_serializer
    def _summary(self) -> dict[str, Any]:
        return {"oseries": len(self.oseries), "stresses": len(self.stresses), "in_memory": True}

    @classmethod
    def of(cls, *sources: Any) -> SeriesCollection:
        """One collection of several (collections, or dicts with the same keys)."""
        if len(sources) == 1 and isinstance(sources[0], cls):
            return sources[0]
        merged: dict[str, dict] = {f: {} for f in FIELDS}
        for source in sources:
            get = (
                source.get if isinstance(source, dict) else lambda k, s=source: getattr(s, k, None)
            )
            for key, values in merged.items():
                values.update(get(key) or {})
        return cls(**merged)
