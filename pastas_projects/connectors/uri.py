"""Store URIs: the one place that knows their schemes, folders and secrets.

A store is named by one URI string, in Python (:func:`connect`), on the command
line (``--store``) and in a Prefect block. Every part of the package asks this module
what a URI means:

>>> from pastas_projects.connectors.uri import check_uri, mask_uri, scheme_of
>>> scheme_of("mongodb+srv://me:pw@cluster.example.net/")
'mongodb+srv'
>>> mask_uri("mongodb://me:pw@host:27017/")
'mongodb://me:***@host:27017/'
>>> check_uri("ftp://host/x")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
pastas_projects.errors.UnsupportedURIError: store URI 'ftp://host/x': unsupported scheme ...

Credentials may be part of a URI (``user:password@`` for MongoDB,
``access=...&secret=...`` for S3); :func:`split_credentials` takes them out and
:func:`join_credentials` puts them back, so that a Prefect block keeps them in
secret fields.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, unquote

from pastas_projects.errors import UnsupportedURIError

SCHEMES: dict[str, str] = {
    "lmdb": "ArcticDB on LMDB: an embedded store in a folder, no server",
    "mongodb": "ArcticDB on MongoDB",
    "mongodb+srv": "ArcticDB on MongoDB, hosts found through DNS (e.g. MongoDB Atlas)",
    "s3": "ArcticDB on S3 or an S3-compatible object store (MinIO, ...)",
    "s3s": "ArcticDB on S3 over HTTPS",
    "mem": "ArcticDB in memory (this process only)",
    "pystore": "PyStore: Parquet files in a folder",
    "memory": "DictConnector: plain dictionaries in this process",
}
"""Every scheme a store URI may have, with what it opens."""

ARCTIC_SCHEMES = frozenset(("lmdb", "mongodb", "mongodb+srv", "s3", "s3s", "mem"))
"""Schemes opened by :class:`~pastas_projects.connectors.arctic.ArcticConnector`."""
MONGO_SCHEMES = frozenset(("mongodb", "mongodb+srv"))
S3_SCHEMES = frozenset(("s3", "s3s"))
PATH_SCHEMES = frozenset(("lmdb", "pystore"))
"""Schemes whose URI names a folder on this machine."""
IN_PROCESS_SCHEMES = frozenset(("mem", "memory"))
"""Schemes of stores that live in one process: other processes cannot open them."""

_USERINFO = re.compile(r"^(?P<scheme>[^:/]+)://(?P<userinfo>[^@/?#]*)@(?P<rest>.*)$")
_SECRET_USERINFO = re.compile(r"(?<=://)([^:/@?#]*):([^@/?#]*)@")
_SECRET_PARAM = re.compile(
    r"(?i)([?&;](?:secret|password|pwd|token|secret_key|aws_secret_access_key)=)([^&;]*)"
)
_CREDENTIAL_PARAMS = {"access": "access_key", "secret": "secret_key"}
_UNSAFE_IN_QUERY = re.compile(r"[&;?#\s]")


def scheme_of(uri: str) -> str:
    """The lower-case scheme of a URI, ``""`` when it has none."""
    if not isinstance(uri, str):
        return ""
    scheme, sep, _ = uri.partition("://")
    return scheme.lower() if sep else ""


def check_uri(uri: str) -> str:
    """Return ``uri`` if its scheme is one of :data:`SCHEMES`.

    Raises
    ------
    UnsupportedURIError
        For a URI without a scheme or with another one; the message lists them.

    """
    scheme = scheme_of(uri)
    if scheme in SCHEMES:
        return uri
    known = ", ".join(f"{s}://" for s in SCHEMES)
    if not scheme:
        raise UnsupportedURIError(f"store URI {uri!r} has no scheme; use one of {known}")
    raise UnsupportedURIError(
        f"store URI {mask_uri(uri)!r}: unsupported scheme {scheme!r}; use one of {known}"
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
        The URI, safe to print or log.

    """
    uri = _SECRET_USERINFO.sub(r"\1:***@", uri)
    return _SECRET_PARAM.sub(r"\1***", uri)


def absolute_uri(uri: str) -> str:
    """The URI with the folder of an ``lmdb://`` or ``pystore://`` store made absolute.

    Other processes (Dask workers, a Prefect worker) may run in another directory,
    so a URI handed to them must not depend on this one's.

    >>> absolute_uri("mongodb://h:1/")
    'mongodb://h:1/'
    """
    if scheme_of(uri) not in PATH_SCHEMES:
        return uri
    scheme, _, rest = uri.partition("://")
    path, qsep, query = rest.partition("?")
    absolute = Path(path or ".").expanduser().resolve()
    return f"{scheme}://{absolute.as_posix()}{qsep}{query}"


def store_path(uri: str) -> Path | None:
    """The folder of an ``lmdb://`` or ``pystore://`` store (absolute), else ``None``."""
    if scheme_of(uri) not in PATH_SCHEMES:
        return None
    return Path(absolute_uri(uri).partition("://")[2].partition("?")[0])


def split_credentials(uri: str) -> tuple[str, dict[str, str]]:
    """Take the credentials out of a URI.

    Parameters
    ----------
    uri : str
        E.g. ``mongodb://me:pw@host/`` or ``s3://host:bucket?port=9000&access=AK&secret=SK``.

    Returns
    -------
    (str, dict)
        The URI without them, and those found among ``username``, ``password``
        (MongoDB; URL-unquoted), ``access_key`` and ``secret_key`` (S3).

    """
    scheme = scheme_of(uri)
    found: dict[str, str] = {}
    if scheme in MONGO_SCHEMES and (match := _USERINFO.match(uri)):
        user, has_password, password = match["userinfo"].partition(":")
        if user:
            found["username"] = unquote(user)
        if has_password:
            found["password"] = unquote(password)
        return f"{match['scheme']}://{match['rest']}", found
    if scheme in S3_SCHEMES and "?" in uri:
        base, _, query = uri.partition("?")
        kept = []
        for param in filter(None, re.split("[;&]", query)):
            key, _, value = param.partition("=")
            if key in _CREDENTIAL_PARAMS:
                found[_CREDENTIAL_PARAMS[key]] = value
            else:
                kept.append(param)
        return base + ("?" + "&".join(kept) if kept else ""), found
    return uri, found


def join_credentials(
    uri: str,
    username: str | None = None,
    password: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    masked: bool = False,
) -> str:
    """Put credentials into a URI (the inverse of :func:`split_credentials`).

    Parameters
    ----------
    uri : str
        A URI without credentials.
    username, password : str, optional
        MongoDB login, put in as ``user:password@`` (URL-quoted).
    access_key, secret_key : str, optional
        S3 keys, added as ``?access=...&secret=...``.
    masked : bool, optional
        Write ``***`` for the password and both keys: the URI to show.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        For a password without a user name, or an S3 key that a URI cannot carry.
        The message never holds a secret. Stores other than MongoDB and S3 take no
        credentials: the URI comes back unchanged.

    """
    scheme = scheme_of(uri)
    if scheme in MONGO_SCHEMES:
        if password is not None and not username:
            raise ValueError(f"{uri}: a password was given without a username")
        if not username:
            return uri
        userinfo = quote(username, safe="")
        if password is not None:
            userinfo += ":" + ("***" if masked else quote(password, safe=""))
        return f"{uri.partition('://')[0]}://{userinfo}@{uri.partition('://')[2]}"
    if scheme in S3_SCHEMES:
        params = []
        for key, value, what in (
            ("access", access_key, "access_key"),
            ("secret", secret_key, "secret_key"),
        ):
            if value:
                if not masked and _UNSAFE_IN_QUERY.search(value):
                    raise ValueError(
                        f"{what} contains '&', ';', '?', '#' or whitespace, which an "
                        "ArcticDB S3 URI cannot carry; use AWS credentials (aws_auth=true)"
                    )
                params.append(f"{key}={'***' if masked else value}")
        if params:
            sep = "" if uri.endswith(("?", "&")) else "&" if "?" in uri else "?"
            uri += sep + "&".join(params)
        return uri
    return uri  # other stores take no credentials


def s3_endpoint(uri: str) -> tuple[str, int]:
    """Host and port an ``s3://`` or ``s3s://`` URI connects to.

    The ArcticDB form is ``s3://<endpoint>:<bucket>?port=...``; without ``port`` an
    ``s3://`` endpoint is on port 80 (HTTP) and an ``s3s://`` one on 443 (HTTPS).

    >>> s3_endpoint("s3://127.0.0.1:bucket?port=9000&access=a&secret=b")
    ('127.0.0.1', 9000)
    >>> s3_endpoint("s3s://s3.eu-west-1.amazonaws.com:bucket?aws_auth=true")
    ('s3.eu-west-1.amazonaws.com', 443)
    """
    scheme = scheme_of(uri)
    if scheme not in S3_SCHEMES:
        raise UnsupportedURIError(f"store URI {mask_uri(uri)!r} is no s3:// or s3s:// URI")
    rest, _, query = uri.partition("://")[2].partition("?")
    endpoint, sep, _bucket = rest.rpartition(":")
    if not sep or not endpoint:
        raise UnsupportedURIError(
            f"store URI {mask_uri(uri)!r}: an S3 URI is s3://<endpoint>:<bucket>?..."
        )
    port = 443 if scheme == "s3s" else 80
    host, sep, number = endpoint.rpartition(":")
    if sep and number.isdigit():
        endpoint, port = host, int(number)
    for param in filter(None, re.split("[;&]", query)):
        key, _, value = param.partition("=")
        if key == "port" and value.isdigit():
            port = int(value)
    return endpoint, port


def arctic_uri(uri: str) -> str:
    """The URI to hand to :class:`arcticdb.Arctic` for a store URI of :data:`ARCTIC_SCHEMES`.

    An ``lmdb://`` folder is made absolute (and symbolic links resolved, so that one
    folder is one store). ArcticDB appends ``&minPoolSize=...`` to a MongoDB URI;
    without a ``?`` query that text would end up in the database name and the login
    would fail. The database in the path only names the authentication database,
    so ``/db`` becomes ``?authSource=db``.

    >>> arctic_uri("mongodb://h:27017/admin")
    'mongodb://h:27017/?authSource=admin'
    """
    scheme = scheme_of(uri)
    if scheme not in ARCTIC_SCHEMES:
        raise UnsupportedURIError(
            f"store URI {mask_uri(uri)!r}: ArcticDB opens "
            + ", ".join(f"{s}://" for s in sorted(ARCTIC_SCHEMES))
        )
    rest = uri.partition("://")[2]
    if scheme == "lmdb":
        path, sep, query = rest.partition("?")
        return f"lmdb://{Path(path or '.').expanduser().resolve().as_posix()}{sep}{query}"
    if scheme == "mem":
        return "mem://"
    if scheme in MONGO_SCHEMES:
        uri = uri.rstrip("?")
        if "?" in uri:
            return uri
        hosts, _, database = rest.partition("/")
        return f"{scheme}://{hosts}" + (f"/?authSource={database}" if database else "")
    return uri
