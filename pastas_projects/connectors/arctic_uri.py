"""Store URIs of the ArcticDB connector: their parts, their secrets, a MongoDB ping."""

from __future__ import annotations

import os
import re

from pastas_projects.errors import StoreConnectionError

MONGO_TIMEOUT_MS = 3000
"""How long to wait for a MongoDB server to answer before giving up."""

_SECRET_USERINFO = re.compile(r"(?<=://)([^:/@?#]*):([^@/?#]*)@")
_SECRET_PARAM = re.compile(
    r"(?i)([?&;](?:secret|password|pwd|token|secret_key|aws_secret_access_key)=)([^&;]*)"
)


def mask_uri(uri: str) -> str:
    """Return ``uri`` with any password or secret key replaced by ``***``.

    Parameters
    ----------
    uri : str
        A store URI, e.g. ``mongodb://user:secret@host:27017/``.

    Returns
    -------
    str
        The URI safe to print or log.

    """
    uri = _SECRET_USERINFO.sub(r"\1:***@", uri)
    return _SECRET_PARAM.sub(r"\1***", uri)


def normalise_uri(uri: str) -> tuple[str, tuple | None, str]:
    """Split a URI into its scheme, a cache key (``None``: never share) and ArcticDB URI."""
    if not isinstance(uri, str) or "://" not in uri:
        raise ValueError(f"store URI {uri!r} has no scheme (lmdb://, mongodb://, s3://, mem://)")
    scheme, rest = uri.split("://", 1)
    scheme = scheme.lower()
    if scheme == "lmdb":
        path, sep, query = rest.partition("?")
        path = os.path.realpath(os.path.expanduser(path or "."))
        return scheme, (os.getpid(), "lmdb", path), f"lmdb://{path}{sep}{query}"
    if scheme == "mem":  # every connector gets its own, fresh in-memory store
        return scheme, None, "mem://"
    if scheme in ("mongodb", "mongodb+srv"):
        return "mongodb", (os.getpid(), uri), arctic_mongo_uri(uri)
    if scheme in ("s3", "s3s"):
        return scheme, (os.getpid(), uri), uri
    raise ValueError(f"store URI {mask_uri(uri)!r}: ArcticConnector handles lmdb, mongodb, s3, mem")


def arctic_mongo_uri(uri: str) -> str:
    """Rewrite a MongoDB URI so that ArcticDB can append its own options to it.

    ArcticDB appends ``&minPoolSize=...`` to the URI; without a ``?`` query that text
    ends up in the database name, and authentication fails. The database in the path
    only names the authentication database, so ``/db`` becomes ``?authSource=db``.
    """
    uri = uri.rstrip("?")
    if "?" in uri:
        return uri
    scheme, rest = uri.split("://", 1)
    hosts, _, database = rest.partition("/")
    return f"{scheme}://{hosts}" + (f"/?authSource={database}" if database else "")


def check_mongo(uri: str) -> None:
    """Raise :class:`StoreConnectionError` quickly if no MongoDB server answers at ``uri``."""
    import pymongo
    from pymongo.errors import PyMongoError

    client = None
    try:
        client = pymongo.MongoClient(
            uri, serverSelectionTimeoutMS=MONGO_TIMEOUT_MS, connectTimeoutMS=MONGO_TIMEOUT_MS
        )
        client.admin.command("ping")
    except PyMongoError as exc:
        reason = str(exc).split(", Timeout:")[0]
        raise StoreConnectionError(
            f"cannot reach a MongoDB server at {mask_uri(uri)}: {mask_uri(reason)}. Start one "
            "first (e.g. `docker run -d -p 27017:27017 mongo` or `mongod --dbpath DIR`), or "
            "use an embedded store such as lmdb://./pastas_data that needs no server."
        ) from None
    finally:
        if client is not None:
            client.close()
