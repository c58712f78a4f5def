"""The store: validated reads and writes of series and models on any connector.

:class:`Database` is what ``PastasProject.db`` is. Everything above this layer
(the project, modelling, tasks, flows, the command line) uses its public methods;
only this package calls the connectors' storage hooks.
"""

from pastas_projects.store.database import Database
from pastas_projects.store.models import RebuiltModel, SeriesCache

__all__ = ["Database", "RebuiltModel", "SeriesCache"]
