"""Atomic file writes: a file is either fully written or not replaced at all."""

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write"]


@contextlib.contextmanager
def atomic_write(path, mode="wb", *, encoding=None, newline=None):
    """Open a temporary file beside ``path``; on success, rename it over ``path``.

    An exception (or an interrupt) inside the ``with`` block removes the
    temporary file and leaves an existing ``path`` untouched. The data is
    flushed and fsync'ed before the rename, and ``os.replace`` is atomic on
    POSIX and Windows when both names are on the same file system (they are:
    the temporary file is created in the target's directory).

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
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(
            f"Cannot write {str(path)!r}: the directory {str(directory)!r} does not exist. "
            "Create it first."
        )
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        # mkstemp creates the file 0600; give it the permissions open() would
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
