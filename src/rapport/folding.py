"""Which spellings search (and names) treat as one: small pure functions, no database.

SQLite's unicode61 tokenizer lowercases and drops the accents Unicode decomposes (é, ü,
İ), and PostgreSQL's unaccent does the same; but unaccent also folds letters that do not
decompose (ß → ss, the dotless i, ø → o, ł → l, Greek tonos, Russian ё) where unicode61
keeps them. `SEARCH_FOLDS` lists those, so a SQLite journal finds what a server finds.
Scripts written without spaces between words (Chinese, Japanese; Korean words carry their
particles) are indexed one character at a time on both engines, so a word inside them is
found as a phrase of its characters.

The tables are frozen with the migration that built the index from them
(`migrations.m005_search_folding`): change them only together with a new migration.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from rapport.store.migrations import FULLWIDTH, PUNCTUATION, SEARCH_FOLDS, WIDE

_LETTERS = str.maketrans(SEARCH_FOLDS)


# Compiled on first use: classes of wide Unicode ranges take milliseconds to compile, and
# names.py (on the path of every `log` and `show`) needs only _LETTERS.
@cache
def _pattern(name: str) -> re.Pattern[str]:
    classes = {
        "wide": f"[{WIDE}]",
        "fullwidth": f"[{FULLWIDTH}]",
        "punctuation": PUNCTUATION[:-1],  # one character at a time, as the server's
        "changed": f"[{WIDE}{FULLWIDTH}{''.join(SEARCH_FOLDS)}]",
    }
    return re.compile(classes[name])


def fold_letters(text: str) -> str:
    """`Weiß` → `Weiss`, `Łódź` → `lódź`, a dotless i → i: the letters no accent stripping
    reaches (their outputs are lowercase). Names can fold with it before casefold()."""
    return text.translate(_LETTERS)


def sqlite_changes(text: str) -> bool:
    """Whether the SQLite index holds `text` other than as written (a quick scan)."""
    return _pattern("changed").search(text) is not None


def is_wide(text: str) -> bool:
    """Whether the text has a character of a script written without spaces."""
    return _pattern("wide").search(text) is not None


def sqlite_piece(char: str) -> str:
    """What one character becomes in the SQLite index."""
    if _pattern("wide").match(char):
        return f" {char} "
    if _pattern("fullwidth").match(char):
        return chr(ord(char) - 0xFEE0).lower()
    return SEARCH_FOLDS.get(char, char)


def postgres_piece(char: str) -> str:
    """What one character becomes in the text PostgreSQL indexes."""
    if _pattern("wide").match(char):
        return f" {char} "
    return " " if _pattern("punctuation").match(char) else char


def sqlite_search_text(text: str) -> str:
    """What the SQLite index holds for `text` (the triggers of m005 compute the same)."""
    return "".join(map(sqlite_piece, text))


def postgres_search_text(text: str) -> str:
    """What PostgreSQL's `rapport_search_text` makes of `text` (unaccent does the rest)."""
    return "".join(map(postgres_piece, text))


Transform = Callable[[str], str]


def restore(marked: str, text: str, piece: Transform) -> str | None:
    """A snippet of the transformed text, as the same stretch of the user's own `text`.

    `marked` is a stretch of the transformed text (each character of `text` made into
    `piece(char)`) with MARK_START/MARK_END (\\x02, \\x03) around the matches and \\x01
    where the engine left text out. Returns None when it is not such a stretch.
    """
    lead = marked.startswith("\x01")
    trail = marked.endswith("\x01") and len(marked) > 1
    core = marked[1 if lead else 0 : len(marked) - 1 if trail else len(marked)]
    origin: list[int] = []  # for each transformed character, the character of text it is from
    pieces = []
    for index, char in enumerate(text):
        made = piece(char)
        pieces.append(made)
        origin.extend([index] * len(made))
    transformed = "".join(pieces)
    plain = core.replace("\x02", "").replace("\x03", "")
    start = 0 if transformed.startswith(plain) else transformed.find(plain)
    if start < 0 or not plain:
        return None
    out, position, copied = [], start, origin[start]
    for char in core:
        if char not in "\x02\x03":
            position += 1
            continue
        # A mark goes before the character its transformed one came from, or after it.
        at = origin[position] if char == "\x02" else origin[position - 1] + 1
        out.append(text[copied:at] + char)
        copied = at
    out.append(text[copied : origin[start + len(plain) - 1] + 1])
    # Characters marked one by one (PostgreSQL marks each of 東京) read as one match.
    shown = "".join(out).replace("\x03\x02", "")
    return ("…" if lead else "") + shown + ("…" if trail else "")
