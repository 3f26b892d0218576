"""User text made safe to show on a terminal: what the user wrote, but never an instruction
to the terminal.

A note may hold ESC (which starts a sequence that can clear the screen or rewrite a line),
BEL, other C0 and C1 controls, and bidi controls (U+202E turns what follows around). Shown
raw, they change what the user sees; written into an SVG, they make it malformed XML. So
every piece of user text that reaches the terminal, an SVG or an HTML page passes through
`visible`, which spells each such character out the way Python's repr does: ESC as `\\x1b`,
U+202E as `\\u202e`. The journal, `--json` and exports keep the exact text.

No imports beyond `re`: the confirmation of `log` goes through here.
"""

from __future__ import annotations

import re

# Bidi embeddings, overrides, isolates and marks (Unicode's Bidi_Control).
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# Those, the line and paragraph separators (some terminals break lines at them), C0 and C1
# controls and DEL, and lone surrogates (which cannot be encoded at all).
_UNSAFE = f"\x00-\x1f\x7f-\x9f{_BIDI}\u2028\u2029\ud800-\udfff"
_ONE_LINE = re.compile(f"[{_UNSAFE}]")
# Where the view wraps text, a line break and a tab keep their meaning; CR LF is a line break.
_LAYOUT = re.compile(f"\r\n|[{_UNSAFE}]")
# What json.dumps leaves raw (it escapes only C0): these appear only inside JSON strings.
_RAW_IN_JSON = re.compile(f"[\x7f-\x9f{_BIDI}\u2028\u2029]")

_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _spelled(char: str) -> str:
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _laid_out(match: re.Match[str]) -> str:
    char = match.group()
    return "\n" if char == "\r\n" else char if char in "\n\t" else _spelled(char)


def first_unsafe(text: str) -> str | None:
    """The first control, bidi or other character `visible` would spell out, or None."""
    found = _ONE_LINE.search(text)
    return found.group() if found else None


def is_bidi(char: str) -> bool:
    return re.fullmatch(f"[{_BIDI}]", char) is not None


def visible(text: str, *, layout: bool = False) -> str:
    """`text` with every control character spelled out: `a\\x1b[2Jb`, `abc\\u202e`.

    With `layout`, newlines and tabs stay (a note keeps its lines where the view wraps it).
    """
    if layout:
        return _LAYOUT.sub(_laid_out, text)
    return _ONE_LINE.sub(lambda match: _spelled(match.group()), text)


def json_escaped(document: str) -> str:
    """A JSON document with DEL, C1 and bidi controls escaped as well: the same data, safe
    to print (json.dumps escapes only C0 controls)."""
    return _RAW_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", document)
