"""Writing a note in `$VISUAL` / `$EDITOR`, the way `git commit` does."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from rapport.errors import BadInput, RapportError

# The first of these that starts no line of the text being edited marks the template's
# comments, as git's core.commentChar=auto does: a note line "# agenda" stays a note line.
COMMENTS = "#;%@!$&|"
T = TypeVar("T")


def comment_marker(text: str) -> str:
    starts = {line[:1] for line in text.splitlines()}
    return next((marker for marker in COMMENTS if marker not in starts), COMMENTS[0])


def note_from_editor(heading: str, initial: str = "") -> str:
    """Open the user's editor on a template; its comment lines are dropped."""
    comment = comment_marker(initial)
    template = (
        f"{initial}\n{comment} {heading}\n"
        f"{comment} Write the note above. Lines starting with '{comment}' are ignored;\n"
        f"{comment} an empty note aborts and nothing is written.\n"
    )
    lines = [line for line in edited(template).splitlines() if not line.startswith(comment)]
    return "\n".join(lines).strip()


def edited(template: str, suffix: str = ".md", what: str = "note") -> str:
    """The text the user saves after editing `template` in their editor."""
    command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    # mkstemp creates the file 0600: the note is about a third party.
    fd, name = tempfile.mkstemp(prefix="rapport-", suffix=suffix)
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(template)
        try:
            finished = subprocess.run([*shlex.split(command), name], check=False)
        except OSError as error:
            raise RapportError(f"cannot start the editor {command!r}: {error.strerror}") from None
        if finished.returncode != 0:
            raise RapportError(
                f"the editor exited with status {finished.returncode}; nothing written"
            )
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise RapportError(f"the editor removed {path.name}; nothing written") from None
    finally:
        path.unlink(missing_ok=True)
    try:
        # An editor that saves UTF-8 with a byte-order mark (Notepad does) adds no text.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadInput(
            f"the editor saved the {what} in another encoding than UTF-8 (byte {error.start + 1}); "
            "nothing written"
        ) from None
    return text


def edit_until_valid(text: str, apply: Callable[[str], T], comment: str = "#") -> T:
    """`apply` to what the user saves; when it raises BadInput, the editor opens again with
    the message as a comment at the top, as `crontab -e` does. A file emptied of all but
    comments aborts."""
    marker = f"{comment} ERROR: "
    problem = None
    while True:
        saved = edited(text, suffix=".txt", what="card")
        kept = [line for line in saved.splitlines() if not line.startswith(marker)]
        if not any(line.strip() and not line.lstrip().startswith(comment) for line in kept):
            raise RapportError("the card is empty; nothing changed")
        if problem is not None and saved == text:  # closed without a change: the user gave up
            raise RapportError(f"{problem}; the card was left as it was, nothing changed")
        try:
            return apply(saved)
        except BadInput as error:
            problem = re.sub(r"; nothing (written|changed)$", "", str(error))
            text = marker + problem + "\n" + "\n".join(kept) + "\n"
