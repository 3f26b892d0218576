"""Writing a note in `$VISUAL` / `$EDITOR`, the way `git commit` does."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from rapport.errors import RapportError

COMMENT = "#"


def note_from_editor(heading: str, initial: str = "") -> str:
    """Open the user's editor on a template; lines starting with # are dropped."""
    command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    template = (
        f"{initial}\n{COMMENT} {heading}\n"
        f"{COMMENT} Write the note above. Lines starting with '{COMMENT}' are ignored;\n"
        f"{COMMENT} an empty note aborts and nothing is written.\n"
    )
    # mkstemp creates the file 0600: the note is about a third party.
    fd, name = tempfile.mkstemp(prefix="rapport-", suffix=".md")
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
        text = path.read_text(encoding="utf-8")
    finally:
        path.unlink(missing_ok=True)
    lines = [line for line in text.splitlines() if not line.startswith(COMMENT)]
    return "\n".join(lines).strip()
