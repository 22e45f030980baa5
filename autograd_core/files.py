"""Atomic file writes: the one way the library, nn and the demos write files."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Union

__all__ = ["atomic_write"]


def atomic_write(path: Union[str, os.PathLike], data: Union[bytes, str]) -> Path:
    """Write ``data`` to ``path`` all or nothing: a hidden temporary file in the same folder, then ``os.replace``.

    A reader never sees a half-written file, and an interrupted write leaves the old file (if any) untouched. An
    exception or Ctrl-C also removes the temporary file; a process killed outright (``kill -9``, power loss) cannot
    clean up, so one hidden ``.<name>.<random>.tmp`` may remain beside the target, safe to delete. The file gets
    the usual permissions (umask), unlike ``tempfile.mkstemp``'s 0600.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"atomic_write: folder {str(directory)!r} does not exist; create it first")
    if isinstance(data, str):
        data = data.encode("utf-8")
    elif not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"atomic_write: data must be bytes or str, got {type(data).__name__}")
    tmp = directory / f".{target.name}.{secrets.token_hex(8)}.tmp"
    try:
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        # whatever interrupted the write, never leave the temporary file behind
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target
