"""Where the client commands find the server and the token: the stored login, or the environment.

``crewboard login`` stores ``{url, token, project}`` in ``credentials.json`` in the user config
folder (``CREWBOARD_CONFIG_DIR`` overrides it), readable by its owner only. ``CREWBOARD_URL``,
``CREWBOARD_TOKEN`` and ``CREWBOARD_PROJECT`` override each stored value.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from platformdirs import user_config_dir

from crewboard.client.errors import BAD_REQUEST, UNAUTHORIZED, ClientError, one_line

FILE_NAME = "credentials.json"
ENV_URL = "CREWBOARD_URL"
ENV_TOKEN = "CREWBOARD_TOKEN"  # noqa: S105 - the variable's name, not a secret
ENV_PROJECT = "CREWBOARD_PROJECT"
ENV_CONFIG_DIR = "CREWBOARD_CONFIG_DIR"


@dataclass(frozen=True, slots=True)
class Credentials:
    """A server, a token for it, and the default project (None: ask the server, or --project)."""

    url: str
    token: str
    project: str | None = None

    def __repr__(self) -> str:  # never show the token, even in a traceback
        return f"Credentials(url={self.url!r}, project={self.project!r})"


def config_dir() -> Path:
    """``CREWBOARD_CONFIG_DIR``, or the platform's user config folder for crewboard."""
    override = os.environ.get(ENV_CONFIG_DIR, "").strip()
    return Path(override) if override else Path(user_config_dir("crewboard", appauthor=False))


def credentials_path() -> Path:
    """The stored login's file."""
    return config_dir() / FILE_NAME


def normalise_url(url: str) -> str:
    """``http(s)://host[:port][/prefix]`` without a trailing slash or ``/api/v1``."""
    text = url.strip().rstrip("/").removesuffix("/api/v1")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ClientError(f"not a server URL: {url!r} (expected http://host:port)", BAD_REQUEST)
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise ClientError(f"the server URL takes no query, fragment or user: {url!r}", BAD_REQUEST)
    return text


def load_stored() -> Credentials | None:
    """The stored login, or None when there is none."""
    path = credentials_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ClientError(f"cannot read {path}: {one_line(str(exc), 200)}", BAD_REQUEST) from exc
    if not isinstance(raw, dict):
        raise ClientError(f"cannot read {path}: not a JSON object", BAD_REQUEST)
    url, token, project = raw.get("url"), raw.get("token"), raw.get("project")
    if not isinstance(url, str) or not isinstance(token, str) or not url or not token:
        raise ClientError(f"cannot read {path}: url or token missing", BAD_REQUEST)
    if project is not None and not isinstance(project, str):
        raise ClientError(f"cannot read {path}: project is not a string", BAD_REQUEST)
    return Credentials(url=url, token=token, project=project)


def save(credentials: Credentials) -> Path:
    """Write the login atomically: the folder 0700 when created here, the file 0600."""
    folder = config_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / FILE_NAME
    temporary = folder / f".{FILE_NAME}.{os.getpid()}.tmp"
    data = json.dumps(asdict(credentials), indent=2).encode()
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return path


def forget() -> Path | None:
    """Delete the stored login; its path, or None if there was none."""
    path = credentials_path()
    try:
        path.unlink()
    except FileNotFoundError:
        return None
    return path


def resolve() -> Credentials:
    """The stored login with each ``CREWBOARD_*`` override applied; a one-line error if none.

    The stored project is the default only while the stored token is the one in use: a token
    from ``CREWBOARD_TOKEN`` may belong to another project.
    """
    url = os.environ.get(ENV_URL, "").strip()
    token = os.environ.get(ENV_TOKEN, "").strip()
    project = os.environ.get(ENV_PROJECT, "").strip() or None
    stored = None if url and token else load_stored()
    if stored is not None:
        if not token and project is None:
            project = stored.project
        url = url or stored.url
        token = token or stored.token
    if not url or not token:
        raise ClientError(
            "not logged in: run 'crewboard login URL --token-stdin' "
            f"or set {ENV_URL} and {ENV_TOKEN}",
            UNAUTHORIZED,
        )
    return Credentials(url=normalise_url(url), token=token, project=project)
