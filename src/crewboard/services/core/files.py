"""Files read and written inside a root folder (a repository, ``~/.claude``), safely.

The root itself may be reached through a link (it is resolved once); below it, every folder
and the file are opened relative to their parent's descriptor with ``O_NOFOLLOW``, so no
symbolic link is followed, even one planted while we work. A file must be a regular file
(a FIFO, a device, a socket or a folder is refused before it is opened, and again from the
open descriptor) of at most ``max_bytes``. A write goes to a temporary file in the same
folder, fsynced, then renamed over the target (``os.replace`` replaces a link, never
follows it; a link there is refused anyway). Every refusal is ``UnsafeFile`` naming the file
by its path under the root. Rules: docs/security.md#repository-files.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import tempfile
from pathlib import Path

from crewboard.services.core.errors import Invalid

REPO_FILE_MAX = 8 * 1024 * 1024  # bytes of one file read from a repository (docs/security.md)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_CHUNK = 1 << 16


class UnsafeFile(Invalid):
    """A file or folder under a root that crewboard will not read or write: a symbolic
    link, not a regular file, too large, not UTF-8, or a path leaving the root."""

    code = "unsafe-file"


def _parts(relative: str) -> list[str]:
    """The components of a root-relative path; absolute paths, ``..`` and ``.`` refused."""
    parts = relative.split("/")
    if relative.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise UnsafeFile(f"{relative}: not a plain path inside the folder", field="path")
    return parts


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link; crewboard does not follow links"
    if stat.S_ISDIR(mode):
        return "a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe), not a regular file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a regular file"
    return "not a regular file"


def _lstat(name: str, parent: int) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _open_dir(name: str, parent: int, shown: str, *, create: bool) -> int | None:
    """Open the folder ``name`` in ``parent`` (made when ``create``); None when missing."""
    for _ in range(2):
        try:
            return os.open(name, _DIR_FLAGS, dir_fd=parent)
        except FileNotFoundError:
            if not create:
                return None
            try:
                os.mkdir(name, 0o755, dir_fd=parent)
            except FileExistsError:
                continue  # made meanwhile (or a link planted): opened, or refused, next turn
        except OSError as exc:
            if exc.errno not in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                raise UnsafeFile(f"{shown}: cannot open it: {exc.strerror or exc}") from exc
            info = _lstat(name, parent)
            if info is None or stat.S_ISREG(info.st_mode):
                raise UnsafeFile(f"{shown} is not a folder", field="path") from exc
            raise UnsafeFile(f"{shown} is {_kind(info.st_mode)}", field="path") from exc
    raise UnsafeFile(f"{shown}: changed while being made; try again")


def _open_root(root: Path) -> int | None:
    try:
        return os.open(root.resolve(), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UnsafeFile(f"{root}: cannot open the folder: {exc.strerror or exc}") from exc


def _walk(root: Path, folders: list[str], *, create: bool) -> int | None:
    """A descriptor of ``root/folders`` reached without following a link; None if missing.
    With ``create`` the folders are made (the root too: the caller named it)."""
    if create:
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UnsafeFile(f"{root}: cannot make the folder: {exc.strerror or exc}") from exc
    fd = _open_root(root)
    for depth, name in enumerate(folders):
        if fd is None:
            return None
        try:
            inner = _open_dir(name, fd, "/".join(folders[: depth + 1]), create=create)
        finally:
            os.close(fd)
        if inner is None:
            return None
        fd = inner
    return fd


def list_repo_dir(root: Path, relative: str) -> list[str] | None:
    """The sorted entry names of the folder ``root/relative`` (None when it does not exist);
    refused when it, or a folder above it, is a link or not a folder."""
    fd = _walk(root, _parts(relative), create=False)
    if fd is None:
        return None
    try:
        return sorted(os.listdir(fd))
    finally:
        os.close(fd)


def read_repo_bytes(root: Path, relative: str, max_bytes: int = REPO_FILE_MAX) -> bytes | None:
    """The bytes of the regular file ``root/relative`` (None when it does not exist), read
    without following any link; a link, a non-regular file or more than ``max_bytes`` is
    refused without reading it (a FIFO never blocks)."""
    *folders, name = _parts(relative)
    parent = _walk(root, folders, create=False)
    if parent is None:
        return None
    try:
        info = _lstat(name, parent)
        if info is None:
            return None
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(f"{relative} is {_kind(info.st_mode)}", field="path")
        try:
            fd = os.open(name, _READ_FLAGS, dir_fd=parent)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise UnsafeFile(f"{relative}: cannot read it: {exc.strerror or exc}") from exc
    finally:
        os.close(parent)
    try:
        return _read_capped(fd, relative, max_bytes)
    finally:
        os.close(fd)


def _read_capped(fd: int, relative: str, max_bytes: int) -> bytes:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):  # swapped between the check and the open
        raise UnsafeFile(f"{relative} is {_kind(info.st_mode)}", field="path")
    if info.st_size > max_bytes:
        raise UnsafeFile(f"{relative} is over {max_bytes} bytes; not read", field="path")
    chunks: list[bytes] = []
    size = 0
    while size <= max_bytes:
        chunk = os.read(fd, min(_CHUNK, max_bytes + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > max_bytes:
        raise UnsafeFile(f"{relative} is over {max_bytes} bytes; not read", field="path")
    return b"".join(chunks)


def read_repo_file(root: Path, relative: str, max_bytes: int = REPO_FILE_MAX) -> str | None:
    """``read_repo_bytes`` decoded as UTF-8 (line ends kept); not UTF-8 is refused."""
    raw = read_repo_bytes(root, relative, max_bytes)
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsafeFile(f"{relative}: not UTF-8 text (byte {exc.start})", field="path") from exc


def _regular(root: Path, relative: str) -> tuple[int, str, os.stat_result] | None:
    """An open parent folder, the name, and the file's lstat; None when it does not exist;
    refused when not a regular file. The caller closes the folder."""
    *folders, name = _parts(relative)
    parent = _walk(root, folders, create=False)
    if parent is None:
        return None
    info = _lstat(name, parent)
    if info is None:
        os.close(parent)
        return None
    if not stat.S_ISREG(info.st_mode):
        os.close(parent)
        raise UnsafeFile(f"{relative} is {_kind(info.st_mode)}", field="path")
    return parent, name, info


def repo_file_mode(root: Path, relative: str) -> int | None:
    """The permission bits of the regular file ``root/relative`` (None: no such file)."""
    found = _regular(root, relative)
    if found is None:
        return None
    os.close(found[0])
    return stat.S_IMODE(found[2].st_mode)


def remove_repo_file(root: Path, relative: str) -> bool:
    """Delete the regular file ``root/relative`` (False: there was none); a link on the
    way, or anything but a regular file there, is refused."""
    found = _regular(root, relative)
    if found is None:
        return False
    parent, name, _ = found
    try:
        os.unlink(name, dir_fd=parent)
    except FileNotFoundError:
        return False
    finally:
        os.close(parent)
    return True


def make_repo_dirs(root: Path, relative: str) -> None:
    """Make the folder ``root/relative`` and those above it, refusing a link on the way."""
    fd = _walk(root, _parts(relative), create=True)
    if fd is None:
        raise UnsafeFile(f"{relative}: the folder went away while being made")
    os.close(fd)


def write_repo_file(
    root: Path, relative: str, data: str | bytes, *, mode: int | None = None, new_mode: int = 0o600
) -> None:
    """Replace ``root/relative`` with ``data`` in one rename, after an fsync; missing folders
    are made. A link or a non-regular file there, or a link on the way, is refused. ``mode``:
    the file's permissions; without it an existing file keeps its own and a new one gets
    ``new_mode``. A failure leaves the old file as it was and no temporary file behind."""
    *folders, name = _parts(relative)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    parent = _walk(root, folders, create=True)
    if parent is None:
        raise UnsafeFile(f"{relative}: its folder went away while being made")
    try:
        info = _lstat(name, parent)
        if info is not None and not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(f"{relative} is {_kind(info.st_mode)}; not written", field="path")
        final = mode if mode is not None else new_mode if info is None else info.st_mode
        _replace(parent, name, raw, stat.S_IMODE(final))
    finally:
        os.close(parent)


def _replace(parent: int, name: str, raw: bytes, mode: int) -> None:
    temp = f".{name}.{secrets.token_hex(6)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temp, flags, 0o600, dir_fd=parent)
    try:
        try:
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, name, src_dir_fd=parent, dst_dir_fd=parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):  # renamed already: nothing to clean
            os.unlink(temp, dir_fd=parent)
        raise


def write_atomic(path: Path, text: str, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``text`` in one rename, after an fsync; the folder is created if
    missing. A failure leaves the old file as it was and no temporary file behind. ``mode``:
    the new file's permissions (else the temporary file's owner-only 0600). For a path the
    user names (``--output``); a file inside a repository goes through ``write_repo_file``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
