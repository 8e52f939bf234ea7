"""Atomic file writes: a file is either fully written or not replaced at all.

The temporary file is written beside the target as ``.<name>.<host>-<pid>-<random>.mlkit-tmp``
(hidden, and named after the target, the machine and the process that writes it). It is
removed on every exit path that runs cleanup (an exception, ``KeyboardInterrupt``,
``SystemExit``). A process killed outright (``kill -9``, a power cut) cannot clean up, so each
``atomic_write`` first sweeps the stale temporary files of the same target: those whose
writing process is no longer running on this machine, and any not modified for
:data:`STALE_AFTER_S` seconds (one hour; a live writer touches its file at every write).
"""

import contextlib
import hashlib
import os
import re
import secrets
import socket
import sys
import time
from pathlib import Path

__all__ = ["atomic_write"]

#: A temporary file of ``atomic_write`` not modified for this long is stale (its writer
#: died without cleaning up) and is removed by the next write of the same target.
STALE_AFTER_S = 3600

_SUFFIX = ".mlkit-tmp"
_NAME_MAX = 120  # characters of the target's name kept in the temporary name


def _host_tag():
    return hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]


def _prefix(path):
    return f".{path.name[:_NAME_MAX]}."


def _pid_running(pid):
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _sweep_stale(path):
    """Remove the temporary files of ``path`` left by writers that died; never raises."""
    prefix = _prefix(path)
    pattern = re.compile(re.escape(prefix) + r"([0-9a-f]{6})-(\d+)-[0-9a-f]+" +
                         re.escape(_SUFFIX))
    host = _host_tag()
    now = time.time()
    try:
        entries = list(os.scandir(path.parent if str(path.parent) else "."))
    except OSError:
        return
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            age = now - entry.stat(follow_symlinks=False).st_mtime
            dead = match.group(1) == host and int(match.group(2)) != os.getpid() and (
                not _pid_running(int(match.group(2))))
            if dead or age > STALE_AFTER_S:
                os.unlink(entry.path)
        except OSError:
            continue


@contextlib.contextmanager
def atomic_write(path, mode="wb", *, encoding=None, newline=None):
    """Open a temporary file beside ``path``; on success, rename it over ``path``.

    An exception (or an interrupt) inside the ``with`` block removes the
    temporary file and leaves an existing ``path`` untouched. The data is
    flushed and fsync'ed before the rename, and ``os.replace`` is atomic on
    POSIX and Windows when both names are on the same file system (they are:
    the temporary file is created in the target's directory). When ``path`` is
    a symlink, the file it points to is replaced (the link is kept), and an
    existing file keeps its permission bits. Stale temporary files of the same
    target, left by a writer that was killed, are removed first (see the
    module's docstring).

    Parameters
    ----------
    path : str or os.PathLike
        Final file name. Its directory must exist.
    mode : {"wb", "w"}, default="wb"
    encoding, newline : str, default=None
        For text mode.

    Yields
    ------
    file : file object
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"mode must be 'wb' or 'w', got {mode!r}.")
    path = Path(path)
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(
            f"Cannot write {str(path)!r}: the directory {str(directory)!r} does not exist. "
            "Create it first."
        )
    if path.is_dir():
        raise IsADirectoryError(
            f"Cannot write {str(path)!r}: it is a directory. Give the path of a file.")
    _sweep_stale(path)
    tmp = directory / f"{_prefix(path)}{_host_tag()}-{os.getpid()}-{secrets.token_hex(4)}{_SUFFIX}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        mode_bits = path.stat().st_mode & 0o777
    except OSError:
        mode_bits = 0o666  # as open() would, less the umask
    fd = os.open(tmp, flags, mode_bits)
    try:
        if path.exists():
            os.chmod(tmp, mode_bits)
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as f:
            fd = None
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
