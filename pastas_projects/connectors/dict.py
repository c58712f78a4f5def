"""In-memory connector, for quick work and tests."""

from __future__ import annotations

import copy
import threading

from pastas_projects.connectors.base import LIBRARIES, AsOf, BaseConnector, ItemData, StoredItem


class DictConnector(BaseConnector):
    """Keep series and models in dictionaries in this process.

    Nothing is written to disk: the data is gone when the process ends. Items are
    copied on the way in and out, so changing a series you read never changes the
    store.

    Parameters
    ----------
    name : str
        Name of the connector.

    """

    multiprocess_safe = False

    def __init__(self, name: str = "dict") -> None:
        super().__init__(name)
        self._libraries: dict[str, dict[str, tuple[ItemData, dict]]] = {
            library: {} for library in LIBRARIES
        }
        self._lock = threading.Lock()

    @property
    def uri(self) -> str:
        """URI of an (empty, new) in-memory store of the same name."""
        return "memory://"

    def _write(self, library: str, name: str, data: ItemData, metadata: dict) -> None:
        item = (copy.deepcopy(data), copy.deepcopy(metadata))
        with self._lock:
            self._libraries[library][name] = item

    def _read(self, library: str, name: str, as_of: AsOf = None) -> StoredItem:
        data, metadata = self._libraries[library][name]  # KeyError when missing
        return StoredItem(copy.deepcopy(data), copy.deepcopy(metadata))

    def _read_metadata(self, library: str, names: list[str]) -> dict[str, dict]:
        items = self._libraries[library]
        return {n: copy.deepcopy(items[n][1]) for n in names if n in items}

    def _list_names(self, library: str) -> list[str]:
        return list(self._libraries[library])

    def _has(self, library: str, name: str) -> bool:
        return name in self._libraries[library]

    def _delete(self, library: str, name: str) -> None:
        with self._lock:
            del self._libraries[library][name]
