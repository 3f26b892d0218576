"""Files rapport writes besides the journal (exports, pictures, backups), and its three
standard streams. All private: whatever rapport writes holds personal data about other people.
"""

from __future__ import annotations

import codecs
import errno
import io
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from rapport.errors import BadInput, RapportError, ReaderGone

SYMLINK_LIMIT = 40  # as the kernel's ELOOP
OWN_DESCRIPTOR = re.compile(r"/proc/(\d+)(?:/task/\d+)?/fd")  # /dev/fd and /dev/stdout lead here


def create_private(path: Path, *, exclusive: bool = False) -> int:
    """Open `path` for writing as 0600, even if it existed with a wider mode; returns the fd."""
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


# -- writing through what the user names, as a shell's `>` does ----------------------------


def check_writable(path: Path) -> None:
    """Refuse a target that cannot be written, before anything is printed or created."""
    _target(path)


@contextmanager
def writing(path: Path) -> Iterator[BinaryIO]:
    """Bytes for `path`: a regular file (or a symlink to one) appears only when complete.

    A regular file, new or existing, is written to a 0600 temporary file beside it and
    renamed into place, so a failed write leaves the old file as it was; a symlink keeps
    being a link to the new file. Anything else (a device, a FIFO, /dev/stdout, /dev/fd/N
    from `>(…)`) is written directly and never replaced, truncated or chmod'ed.
    """
    final, descriptor = _target(path)
    if descriptor is None and _regular_or_new(final):
        with _atomically(path, final) as out:
            yield out
        return
    if descriptor == 1:
        sys.stdout.flush()  # what was printed before comes first, as it would in the shell
    try:
        fd = os.dup(descriptor) if descriptor is not None else _open_directly(final)
    except OSError as error:
        raise BadInput(f"cannot write {path}: {_why(error)}") from None
    with io.BufferedWriter(Guarded(fd, label=str(path), closefd=True)) as out:
        yield out


def _target(path: Path) -> tuple[Path, int | None]:
    """Where `path` leads, following symlinks one by one, and whether it is one of this
    process's own descriptors (/dev/stdout, /dev/fd/N), which is then used as it is."""
    current = Path(os.path.abspath(path))
    for _ in range(SYMLINK_LIMIT):
        folder = Path(os.path.realpath(current.parent))
        current = folder / current.name
        own = OWN_DESCRIPTOR.fullmatch(str(folder))
        if own and current.name.isdigit():
            if int(own.group(1)) == os.getpid():
                return current, int(current.name)
            return current, None  # another process's open file: written directly
        try:
            link = os.readlink(current)
        except OSError:  # not a link, or nothing there yet
            break
        current = folder / link
    else:
        raise BadInput(f"cannot write {path}: {os.strerror(errno.ELOOP)}")
    try:
        mode = current.stat().st_mode
    except FileNotFoundError:
        if not current.parent.is_dir():
            folder = current.parent
            raise BadInput(f"cannot write {path}: the folder {folder} does not exist") from None
        return current, None
    except OSError as error:
        raise BadInput(f"cannot write {path}: {_why(error)}") from None
    if stat.S_ISDIR(mode):
        raise BadInput(f"{path} is a directory; give a file name")
    return current, None


def _regular_or_new(final: Path) -> bool:
    if final.is_relative_to("/proc"):
        return False  # the kernel's files cannot be replaced by a rename
    try:
        return stat.S_ISREG(final.stat().st_mode)
    except FileNotFoundError:
        return True


def _open_directly(final: Path) -> int:
    # No O_CREAT, O_TRUNC or chmod: the device or FIFO stays what it is. A FIFO waits here
    # for its reader, as the shell's `>` would.
    return os.open(final, os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC)


@contextmanager
def _atomically(path: Path, final: Path) -> Iterator[BinaryIO]:
    import tempfile

    try:
        fd, temporary = tempfile.mkstemp(
            dir=final.parent, prefix=f".{final.name}.", suffix=".partial"
        )
    except OSError as error:
        raise BadInput(f"cannot write {path}: {_why(error)}") from None
    try:
        os.fchmod(fd, 0o600)  # mkstemp's 0600 is filtered by the umask
        with io.BufferedWriter(Guarded(fd, label=str(path), closefd=True)) as out:
            yield out
            out.flush()
            _io(path, os.fsync, fd)  # on disk before it replaces what was there
        _io(path, os.replace, temporary, final)
    finally:
        if os.path.lexists(temporary):
            os.unlink(temporary)


def _io(path: Path, call: Callable[..., object], *args: object) -> None:
    try:
        call(*args)
    except OSError as error:
        raise RapportError(f"cannot write {path}: {_why(error)}") from None


def _why(error: OSError) -> str:
    if error.errno == errno.EBADF:
        return "it is closed"
    return error.strerror or str(error)


class Guarded(io.FileIO):
    """A file whose first failed write is one RapportError naming it (exit 1).

    Later writes are dropped: the failure has been reported, and the buffer above would
    otherwise report it again when it is flushed at exit.
    """

    def __init__(
        self, fd: int, *, label: str, closefd: bool = False, pipe_may_close: bool = False
    ) -> None:
        super().__init__(fd, "w", closefd=closefd)
        self.label = label
        self.failed = False
        self.pipe_may_close = pipe_may_close  # stdout: a reader may stop early, as head does

    def write(self, data: object) -> int:
        if self.failed:
            return memoryview(data).nbytes  # type: ignore[arg-type]
        try:
            return super().write(data)  # type: ignore[arg-type]
        except OSError as error:
            self.failed = True
            if self.pipe_may_close and isinstance(error, BrokenPipeError):
                raise ReaderGone(f"the reader of {self.label} stopped early") from None
            raise RapportError(f"cannot write {self.label}: {_why(error)}") from None


class _Quiet(io.FileIO):
    """stderr: a message that cannot be written is dropped; it must not fail the command
    (a `log` that has written its entry exits 0, or a retrying script would log it twice)."""

    def write(self, data: object) -> int:
        try:
            return super().write(data)  # type: ignore[arg-type]
        except OSError:
            return memoryview(data).nbytes  # type: ignore[arg-type]


class _Input(io.FileIO):
    """stdin: a failed read is bad input (exit 2, nothing written), not a crash."""

    def readinto(self, buffer: object) -> int | None:
        with self._reading():
            return super().readinto(buffer)  # type: ignore[arg-type]

    def readall(self) -> bytes:
        with self._reading():
            return super().readall()

    @contextmanager
    def _reading(self) -> Iterator[None]:
        try:
            yield
        except OSError as error:
            raise BadInput(f"cannot read stdin: {_why(error)}; nothing written") from None


# -- the standard streams ------------------------------------------------------------------

# Look-alikes for the signs rapport's views use; the dashes and quotes spelled as escapes.
PLAIN = {"→": "->", "←": "<-", "\u2014": "--", "\u2013": "-", "·": ".", "•": "*",
         "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "─": "-", "│": "|",
         "✓": "v", "✗": "x"}  # fmt: skip


def _readable(error: UnicodeError) -> tuple[str, int]:
    """For a terminal that is not UTF-8: a plain look-alike for rapport's own signs (→ as
    ->), else an unambiguous escape (ü as \\xfc), never a crash."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    import unicodedata

    shown = []
    for char in error.object[error.start : error.end]:
        plain = PLAIN.get(char) or unicodedata.normalize("NFKC", char)
        try:
            plain.encode(error.encoding)
        except UnicodeEncodeError:
            plain = char.encode("ascii", "backslashreplace").decode("ascii")
        shown.append(plain)
    return "".join(shown), error.end


codecs.register_error("rapport-readable", _readable)


def standard_streams() -> None:
    """Make stdin, stdout and stderr safe, whatever the caller left open.

    A descriptor closed by the caller (`<&-`, `>&-`, `2>&-`) is taken by /dev/null, opened
    the wrong way round: no file rapport opens can land on it (an export written to fd 1
    would be echoed into by every print), and using it still fails as a closed one does.
    """
    closed = [fd for fd in (0, 1, 2) if not _is_open(fd)]
    for fd in closed:
        taken = os.open(os.devnull, os.O_WRONLY if fd == 0 else os.O_RDONLY)
        if taken != fd:
            os.dup2(taken, fd)
            os.close(taken)
    if 0 in closed:
        sys.stdin = io.TextIOWrapper(io.BufferedReader(_Input(0, "r", closefd=False)))
    sys.stdout = _text(
        Guarded(1, label="the output", pipe_may_close=True), sys.stdout, line_buffering=None
    )
    sys.stderr = _text(_Quiet(2, "w", closefd=False), sys.stderr, line_buffering=True)


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _text(raw: io.FileIO, old: object, *, line_buffering: bool | None) -> io.TextIOWrapper:
    encoding = getattr(old, "encoding", None) or "utf-8"
    if getattr(old, "write_through", False):  # python -u, PYTHONUNBUFFERED
        return io.TextIOWrapper(
            raw, encoding=encoding, errors="rapport-readable", write_through=True
        )
    return io.TextIOWrapper(
        io.BufferedWriter(raw),
        encoding=encoding,
        errors="rapport-readable",
        line_buffering=raw.isatty() if line_buffering is None else line_buffering,
    )
