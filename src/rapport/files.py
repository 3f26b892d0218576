"""Files rapport writes besides the journal: exports, pictures, backups. All private."""

from __future__ import annotations

import os
from pathlib import Path

from rapport.errors import BadInput


def create_private(path: Path, *, exclusive: bool = False) -> int:
    """Open `path` for writing as 0600, even if it existed with a wider mode; returns the fd.

    Whatever rapport writes holds personal data about other people.
    """
    if path.is_dir():
        raise BadInput(f"{path} is a directory; give a file name")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | (os.O_EXCL if exclusive else 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise
    except OSError as error:
        raise BadInput(f"cannot write {path}: {error.strerror}") from None
    os.fchmod(fd, 0o600)  # the mode given to open() is filtered by the umask, and ignored
    return fd  # for a file that already existed
