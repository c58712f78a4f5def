"""Exceptions raised by pastas_projects.

Every exception names the item it concerns and what is wrong with it. They subclass
the built-in exception a user would expect (``KeyError`` for a missing item,
``ValueError`` for bad values, ``TypeError`` for wrong types), so existing ``except``
clauses keep working.
"""


class PastasProjectsError(Exception):
    """Base class of all pastas_projects errors."""


class ItemNotFoundError(PastasProjectsError, KeyError):
    """An item (series or model) is not in the store."""

    def __str__(self) -> str:  # KeyError would print the repr of the message
        return str(self.args[0]) if self.args else ""


class ItemExistsError(PastasProjectsError, ValueError):
    """An item exists and ``overwrite=True`` was not given."""


class InvalidNameError(PastasProjectsError, ValueError):
    """A name is empty, too long or unsafe as a file or key name."""


class SeriesValueError(PastasProjectsError, ValueError):
    """A series has values or timestamps that cannot be stored."""


class SeriesTypeError(PastasProjectsError, TypeError):
    """A series is of the wrong type (not numeric, no DatetimeIndex, several columns)."""


class CSVParseError(SeriesValueError):
    """A CSV file cannot be read as one time series (bad dates, values or layout)."""


class MetadataError(PastasProjectsError, ValueError):
    """Metadata is not a JSON-serialisable dict with string keys."""


class ModelSeriesError(PastasProjectsError, ValueError):
    """A model uses series that are not in the store or differ from the stored ones."""


class SeriesInUseError(PastasProjectsError, ValueError):
    """A series that models use would be deleted or overwritten without ``force=True``."""


class UnsupportedURIError(PastasProjectsError, ValueError):
    """A store URI has a scheme no connector handles."""


class StoreConnectionError(PastasProjectsError, ConnectionError):
    """The database behind a connector cannot be reached."""


class NotSupportedError(PastasProjectsError, NotImplementedError):
    """The connector does not support this operation (e.g. versions or snapshots)."""


class ModelBuildError(PastasProjectsError, ValueError):
    """A model cannot be built from the stored series."""


class ArchiveError(PastasProjectsError, ValueError):
    """A zip archive is truncated, corrupt, or of a format this version cannot read."""


class UnknownNameError(PastasProjectsError, ValueError):
    """A statistic, parameter or check of that name does not exist."""


class ModelNotSolvedError(PastasProjectsError, ValueError):
    """A model has no fit to judge or show: it was never solved, or solving it failed."""


class NoCoordinatesError(PastasProjectsError, ValueError):
    """None of the series or models to map has ``x``/``y`` metadata."""


class SkippedItemsWarning(UserWarning):
    """Some items were left out of a check, plot, map or report; the message names them."""


class SeriesUpdateError(SeriesValueError):
    """New values cannot be appended to a stored series (changed values, order, frequency)."""


class DefinitionError(PastasProjectsError, ValueError):
    """A model definition is invalid, or names series, kinds or classes that do not exist."""


class NotPicklableError(PastasProjectsError, TypeError):
    """A function cannot be sent to Dask workers because it cannot be pickled."""
