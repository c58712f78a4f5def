"""A Prefect block holding where a Pastas store lives and how to log in to it.

Register the block type once per Prefect server, so it shows in the UI::

    prefect block register -m pastas_projects.blocks

or, from Python, :func:`register_default_block` (registers the type and saves a
block). Flows then receive the block, or its name, and open the store with
:meth:`PastasStoreBlock.get_connector`, which opens it once per process, also on
Dask workers:

>>> block = load_store_block("pastas-store")  # doctest: +SKIP
>>> project = block.get_project()  # doctest: +SKIP

Credentials are kept as secrets (:class:`pydantic.SecretStr`): they are masked in
the UI, in ``repr``/``str`` of the block and in error messages, and are only put into
the URI handed to :func:`pastas_projects.connect`. Credentials written into ``uri``
itself (``mongodb://user:pw@host/``, ``s3://...?access=..&secret=..``) are moved to
those fields when the block is created, so the plain ``uri`` field never holds them.
What a URI means is decided by :mod:`pastas_projects.connectors.uri`.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import warnings
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from prefect.blocks.core import Block
from pydantic import ConfigDict, Field, SecretStr, field_validator, model_validator

from pastas_projects.connectors.uri import (
    MONGO_SCHEMES,
    S3_SCHEMES,
    absolute_uri,
    check_uri,
    join_credentials,
    scheme_of,
    split_credentials,
)
from pastas_projects.errors import StoreConnectionError

if TYPE_CHECKING:
    from pastas_projects.connectors.base import BaseConnector
    from pastas_projects.project import PastasProject

__all__ = [
    "PastasStoreBlock",
    "clear_connector_cache",
    "load_store_block",
    "register_default_block",
]

_CONNECTORS: dict[str, BaseConnector] = {}
_KEY_LOCKS: dict[str, threading.Lock] = {}
_LOCK = threading.Lock()


def _reset_after_fork() -> None:  # a forked child must not reuse the parent's handles
    global _LOCK
    _CONNECTORS.clear()
    _KEY_LOCKS.clear()
    _LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


class PastasStoreBlock(Block):
    """Where a Pastas store lives (a URI) and the credentials to open it.

    Attributes
    ----------
    uri : str
        Store URI for :func:`pastas_projects.connect`, e.g. ``lmdb:///data/pastas``,
        ``mongodb://host:27017/``, ``s3://endpoint:bucket?port=9000``,
        ``pystore:///data/pystore`` or ``memory://``. Use absolute paths: workers may
        run in another directory.
    connector_name : str
        Name of the connector; names its libraries or folders in the store.
    username, password : str and SecretStr, optional
        MongoDB login, put into the URI as ``user:password@`` (URL-quoted).
    access_key, secret_key : str and SecretStr, optional
        S3 keys, added to the URI as ``?access=...&secret=...``.

    """

    _block_type_name: ClassVar[str] = "Pastas Store"
    _block_type_slug: ClassVar[str] = "pastas-store"
    _description: ClassVar[str] = (
        "Location and credentials of a pastas_projects store of groundwater series and "
        "Pastas models (ArcticDB on LMDB, MongoDB or S3; PyStore; in memory)."
    )
    _logo_url: ClassVar[str] = (
        "https://raw.githubusercontent.com/pastas/pastas_projects/main/docs/images/logo.png"
    )
    _documentation_url: ClassVar[str] = (
        "https://github.com/pastas/pastas_projects/blob/main/docs/pipeline.md#the-store-block"
    )
    _code_example: ClassVar[str] = """
        from pastas_projects.blocks import PastasStoreBlock

        block = PastasStoreBlock.load("BLOCK_NAME")
        project = block.get_project()
        project.db.get_oseries("B58C0698001")
        """
    model_config = ConfigDict(hide_input_in_errors=True)  # never echo secrets in errors

    uri: str = Field(
        default="lmdb://./pastas_data",
        description="Store URI, e.g. lmdb:///data/pastas, mongodb://host:27017/, "
        "s3://endpoint:bucket, pystore:///data/pystore or memory://.",
    )
    connector_name: str = Field(
        default="pastas_projects", description="Name of the connector in the store."
    )
    username: str | None = Field(default=None, description="MongoDB user name.")
    password: SecretStr | None = Field(default=None, description="MongoDB password.")
    access_key: str | None = Field(default=None, description="S3 access key id.")
    secret_key: SecretStr | None = Field(default=None, description="S3 secret key.")

    @model_validator(mode="before")
    @classmethod
    def _move_credentials_out_of_uri(cls, values: Any) -> Any:
        """Move ``user:pw@`` and ``access=``/``secret=`` from ``uri`` to their fields."""
        if not isinstance(values, dict) or not isinstance(values.get("uri"), str):
            return values
        values = dict(values)
        values["uri"], found = split_credentials(values["uri"])
        for field, value in found.items():
            if values.get(field) is None:
                values[field] = value
        return values

    @field_validator("uri")
    @classmethod
    def _check_scheme(cls, uri: str) -> str:
        return check_uri(uri)

    @property
    def scheme(self) -> str:
        """The URI scheme, lower case."""
        return scheme_of(self.uri)

    @property
    def display_uri(self) -> str:
        """The URI as it may be shown: user name included, secrets masked."""
        return join_credentials(
            self.uri,
            self.username,
            "***" if self.password is not None else None,
            "***" if self.access_key else None,
            "***" if self.secret_key else None,
            masked=True,
        )

    def _full_uri(self) -> str:
        """The URI with credentials, for :func:`pastas_projects.connect` only. Never log it."""
        password, secret_key = _secret(self.password), _secret(self.secret_key)
        if self.scheme not in MONGO_SCHEMES | S3_SCHEMES:
            if self.username or password or self.access_key or secret_key:
                warnings.warn(
                    f"{self.scheme}:// stores take no credentials; username, password, "
                    "access_key and secret_key are ignored",
                    stacklevel=3,
                )
            return absolute_uri(self.uri)
        return join_credentials(self.uri, self.username, password, self.access_key, secret_key)

    def _secrets(self) -> list[str]:
        found = [s for s in (_secret(self.password), _secret(self.secret_key)) if s]
        return found + [quote(s, safe="") for s in found if quote(s, safe="") != s]

    def _cache_key(self, full_uri: str) -> str:
        text = json.dumps([type(self).__name__, self.connector_name, full_uri])
        return hashlib.sha256(text.encode()).hexdigest()

    def get_connector(self) -> BaseConnector:
        """Return the connector of this store, opened once per process.

        Connectors are cached per process by the block's configuration (thread-safe),
        so many tasks on one Dask worker share one open store; a block pickled to
        another process opens its own there. ``memory://`` stores are per process.

        Returns
        -------
        BaseConnector
            A live connector from :func:`pastas_projects.connect`.

        Raises
        ------
        StoreConnectionError
            If the store cannot be opened and the reason would reveal a secret
            (other errors pass through unchanged).

        """
        full_uri = self._full_uri()
        key = self._cache_key(full_uri)
        connector = _CONNECTORS.get(key)
        if connector is not None:
            return connector
        with _LOCK:
            key_lock = _KEY_LOCKS.setdefault(key, threading.Lock())
        with key_lock:
            connector = _CONNECTORS.get(key)
            if connector is None:
                connector = _CONNECTORS[key] = self._open(full_uri)
        return connector

    def _open(self, full_uri: str) -> BaseConnector:
        from pastas_projects.connectors import connect

        try:
            return connect(full_uri, name=self.connector_name)
        except Exception as exc:
            secrets = self._secrets()
            chain, seen = [], exc
            while seen is not None and len(chain) < 10:
                chain.append(f"{type(seen).__name__}: {seen}")
                seen = seen.__cause__ or seen.__context__
            text = "\n".join(chain)
            if not any(s in text or s in repr(exc) for s in secrets):
                raise
            for s in sorted(secrets, key=len, reverse=True):
                text = text.replace(s, "***")
            raise StoreConnectionError(f"cannot open store {self.display_uri}: {text}") from None

    def get_project(self) -> PastasProject:
        """Return a :class:`~pastas_projects.project.PastasProject` on this store.

        The project is named after ``connector_name`` and uses the cached connector
        of :meth:`get_connector`.
        """
        from pastas_projects.project import PastasProject

        return PastasProject(self.connector_name, self.get_connector())


def clear_connector_cache(close: bool = True) -> int:
    """Forget the connectors opened by :meth:`PastasStoreBlock.get_connector` here.

    Parameters
    ----------
    close : bool
        Call ``close()`` on each connector.

    Returns
    -------
    int
        How many connectors were forgotten.

    """
    with _LOCK:
        connectors = list(_CONNECTORS.values())
        _CONNECTORS.clear()
        _KEY_LOCKS.clear()
    if close:
        for connector in connectors:
            connector.close()
    return len(connectors)


def load_store_block(block_or_name: PastasStoreBlock | str) -> PastasStoreBlock:
    """Return a block given the block itself or the name of a saved block.

    Parameters
    ----------
    block_or_name : PastasStoreBlock or str
        A block, or the name of a block saved on the Prefect server (``"my-store"``
        or ``"pastas-store/my-store"``).

    Returns
    -------
    PastasStoreBlock

    """
    if isinstance(block_or_name, PastasStoreBlock):
        return block_or_name
    if isinstance(block_or_name, str):
        name = block_or_name.removeprefix(PastasStoreBlock.get_block_type_slug() + "/")
        return PastasStoreBlock.load(name, _sync=True)
    raise TypeError(
        f"expected a PastasStoreBlock or a block name, not {type(block_or_name).__name__}"
    )


def register_default_block(
    uri: str = "lmdb://./pastas_data",
    name: str = "pastas-store",
    overwrite: bool = True,
    connector_name: str = "pastas_projects",
) -> PastasStoreBlock:
    """Register the block type on the Prefect server and save a block.

    Parameters
    ----------
    uri : str
        Store URI; a relative ``lmdb://`` or ``pystore://`` path is made absolute
        first, so workers in other directories find the same store.
    name : str
        Name of the saved block.
    overwrite : bool
        Replace a saved block of the same name.
    connector_name : str
        Name of the connector in the store.

    Returns
    -------
    PastasStoreBlock
        The saved block.

    """
    PastasStoreBlock.register_type_and_schema(_sync=True)
    block = PastasStoreBlock(uri=absolute_uri(uri), connector_name=connector_name)
    block.save(name, overwrite=overwrite)
    return block
