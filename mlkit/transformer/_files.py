"""Folder helpers of the transformer package: replace a directory atomically, read a
small JSON file from a folder that may be hostile."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

__all__ = ["read_json_file", "replace_directory"]


def replace_directory(target, write, *, who, marker):
    """Write a folder with ``write(tmp_dir)`` beside ``target``, then rename it into place.

    An interrupted write never leaves a half-written ``target``. An existing
    ``target`` is replaced only when it is empty or holds ``marker`` (a file name),
    so a directory of someone else's files is never deleted.
    """
    target = Path(os.fspath(target)).expanduser().absolute()
    if target.exists():
        if not target.is_dir():
            raise FileExistsError(f"{who}: {str(target)!r} is a file; give a directory path.")
        if any(target.iterdir()) and not (target / marker).is_file():
            raise FileExistsError(
                f"{who}: {str(target)!r} is a non-empty directory that does not hold a "
                f"checkpoint (no {marker}); refusing to replace it. Give a new or empty "
                "directory.")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}"
    old = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
        write(tmp)
        if target.exists():
            os.replace(target, old)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not target.exists():
            os.replace(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return target


def read_json_file(path, *, max_bytes, who, what):
    """The JSON object in ``path`` (at most ``max_bytes``), or a ValueError saying what is
    wrong with it."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ValueError(f"{who}: {str(path)!r} ({what}) cannot be read: {exc}.") from None
    if size > max_bytes:
        raise ValueError(f"{who}: {str(path)!r} ({what}) has {size} bytes, more than the "
                         f"{max_bytes} allowed; the folder is damaged or crafted.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValueError(f"{who}: {str(path)!r} ({what}) is not valid JSON "
                         f"({type(exc).__name__}: {exc}); the folder is damaged.") from None
    if not isinstance(data, dict):
        raise ValueError(f"{who}: {str(path)!r} ({what}) holds a JSON "
                         f"{type(data).__name__}, not an object; the folder is damaged.")
    return data
