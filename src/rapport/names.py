"""Finding a client from what the user typed: forgiving, but never guessing.

The order, first step that finds anyone wins:

1. the exact spelling of a name, or of `Name (Company)` as messages print it (after Unicode
   NFC, with runs of spaces as one);
2. the same letters in another case (`konrad brandt`);
3. a client id: the eight characters `add` prints, or any longer part of the uuid;
4. the folded spelling: `müller`, `Mueller`, `MULLER`, a decomposed `Mu\u0308ller`, `weiss`
   for "Weiß" and `yilmaz` for "Y\u0131lmaz" (a dotless i) all find their client;
5. a unique prefix of the folded name, then a unique part of name or company.

So an exact name wins even when it looks like an id (`Abba Cafe`), and an id wins over a name
that merely folds to it. More than one candidate at a step is an error that lists each with
its id; none is an error with close matches from rapidfuzz, which is only imported on that
path.

The same module says what a name may hold: one line of plain text, no control characters,
no bidi overrides, at most `MAX_NAME` characters.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from rapport.display import first_unsafe, is_bidi, visible
from rapport.errors import BadInput, UnknownClient
from rapport.folding import fold_letters

_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
_ID = re.compile(r"[0-9a-f][0-9a-f-]{7,35}")
ID_LENGTH = 8  # as rows.short_id prints it
MAX_NAME = 200  # characters in a name, company, role or author


def fold(text: str) -> str:
    """Case- and accent-free form: `Müller` → `muller`, `Weiß` → `weiss`, `İ`/`\u0131` → `i`."""
    if text.isascii():  # most names: nothing to take apart (a lookup folds every client)
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", fold_letters(text.casefold()))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


def keys(text: str) -> set[str]:
    """Every folded spelling of a name: with umlauts dropped and spelled out (ü → ue)."""
    if text.isascii():
        return {fold(text)}
    composed = unicodedata.normalize("NFC", text.casefold())
    return {fold(composed), fold(composed.translate(_GERMAN))}


def spelling(text: str) -> str:
    """A name as typed, compared letter for letter: NFC, runs of whitespace as one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass(frozen=True)
class Candidate:
    id: int
    name: str
    company: str | None
    uuid: str = ""

    @property
    def label(self) -> str:
        return label(self.name, self.company)


def label(name: str, company: str | None) -> str:
    """`Konrad Brandt (Brandt & Vogel)`: how rapport names a client in messages."""
    return f"{name} ({company})" if company else name


# -- what a name may hold -----------------------------------------------------------------

_RULE = "names, companies, roles and authors are one line of plain text"


def quoted(text: str, limit: int = 60) -> str:
    """`text` quoted for a message, with control and bidi characters spelled out."""
    shown = visible(text)
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return f"'{shown}'"


def line_problem(text: str, what: str, limit: int | None = MAX_NAME) -> str | None:
    """Why `text` cannot be a name, company, role or author (one line, plain text), or None."""
    bad = first_unsafe(text)
    if bad is not None:
        kind = "bidi control" if is_bidi(bad) else "control character"
        return f"the {what} {quoted(text)} holds the {kind} U+{ord(bad):04X}; {_RULE}"
    if limit is not None and len(text) > limit:
        return f"the {what} is {len(text):,} characters long; rapport keeps up to {limit}"
    return None


def check_line(text: str, what: str, limit: int | None = MAX_NAME) -> str:
    """`text`, or BadInput when it holds a control character or is longer than `limit`."""
    problem = line_problem(text, what, limit)
    if problem is not None:
        raise BadInput(f"{problem}; nothing written")
    return text


# -- finding a client ---------------------------------------------------------------------


def ids(chosen: Iterable[Candidate], everyone: Sequence[Candidate]) -> dict[int, str]:
    """For each chosen client, the shortest id (eight characters or more) that finds only it."""
    uuids = [c.uuid for c in everyone]
    shown = {}
    for candidate in chosen:
        length = ID_LENGTH
        while length < len(candidate.uuid) and (
            sum(u.startswith(candidate.uuid[:length]) for u in uuids) > 1
        ):
            length += 1
        shown[candidate.id] = candidate.uuid[:length]
    return shown


def listing(found: Sequence[Candidate], everyone: Sequence[Candidate], most: int = 8) -> str:
    """`Jörg Weiß (Acme) [1a2b3c4d]; Joerg Weiss [5e6f7a8b]`: candidates as they can be named."""
    found = sorted(found, key=lambda c: (fold(c.label), c.uuid))
    shown = ids(found[:most], everyone)
    listed = "; ".join(f"{c.label} [{shown[c.id]}]" for c in found[:most])
    return listed + (f" and {len(found) - most} more" if len(found) > most else "")


def handle(chosen: Candidate, everyone: Sequence[Candidate]) -> str:
    """What to type for this client: its name when that finds it, else its id."""
    try:
        if resolve(chosen.name, everyone).id == chosen.id:
            return chosen.name
    except BadInput:
        pass
    return ids([chosen], everyone)[chosen.id]


def _steps(query: str, candidates: Sequence[Candidate]) -> Iterator[list[Candidate]]:
    """The clients each step of `resolve` finds, in the order of the module's docstring.

    Each form of the candidates is worked out when a step first needs it: most lookups end
    at the first steps, and folding every name is the costly part.
    """
    exact = spelling(query)
    spelled = [(c, spelling(c.name), spelling(c.label)) for c in candidates]
    yield [c for c, name, full in spelled if exact in (name, full)]
    lower = exact.lower()
    yield [c for c, name, full in spelled if lower in (name.lower(), full.lower())]
    if _ID.fullmatch(lower):
        yield [c for c in candidates if c.uuid.startswith(lower)]
    wanted = keys(query)
    folded = [(c, keys(c.name)) for c in candidates]
    yield [c for c, names in folded if wanted & names]
    yield [c for c, names in folded if any(n.startswith(w) for n in names for w in wanted)]
    yield [
        c
        for c, names in folded
        if any(w in k for k in names | keys(c.company or "") for w in wanted if k)
    ]


def resolve(query: str, candidates: Sequence[Candidate]) -> Candidate:
    """The one client `query` means, or BadInput naming the candidates or close matches."""
    if not any(keys(query)):
        raise BadInput("give a client name or id")
    for found in _steps(query, candidates):
        if len(found) == 1:
            return found[0]
        if found:
            raise BadInput(
                f"{query!r} matches {len(found)} clients: {listing(found, candidates)}; "
                "name one by its id"
            )
    hint = suggest(query, candidates)
    raise UnknownClient(
        f"no client matches {query!r}" + (f"; did you mean {hint}?" if hint else "")
    )


def namesake(name: str, company: str | None, candidates: Iterable[Candidate]) -> Candidate | None:
    """A client with the same name and company (folded), if there is one."""
    wanted = keys(name)
    company_key = fold(company or "")
    for other in candidates:
        if wanted & keys(other.name) and fold(other.company or "") == company_key:
            return other
    return None


def refuse_duplicate(name: str, company: str | None, candidates: Sequence[Candidate]) -> None:
    """BadInput when the same person (name and company, folded) is already a client."""
    other = namesake(name, company, candidates)
    if other is not None:
        shown = ids([other], candidates)[other.id]
        raise BadInput(f"{other.label} [{shown}] is already in the journal")


def suggest(query: str, candidates: Sequence[Candidate], limit: int = 3) -> str:
    """Close matches as `A, B or C`, ranked by rapidfuzz's weighted ratio."""
    from rapidfuzz import fuzz, process, utils

    choices = {index: fold(c.name) for index, c in enumerate(candidates)}
    ranked = process.extract(
        fold(query),
        choices,
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=limit,
        score_cutoff=60,
    )
    names = [candidates[index].name for _, _, index in ranked]
    if len(names) > 1:
        return ", ".join(names[:-1]) + " or " + names[-1]
    return names[0] if names else ""


def current_author(option: str | None = None) -> str:
    """Who is writing: --author, else $RAPPORT_AUTHOR, else the login name.

    A blank value is not given, whichever way it comes; one that holds a control character,
    or is longer than a name may be, is refused before anything is opened.
    """
    given_by = (("--author", option), ("$RAPPORT_AUTHOR", os.environ.get("RAPPORT_AUTHOR")))
    for source, given in given_by:
        if given and given.strip():
            return check_line(" ".join(given.split()), f"author ({source})")
    import getpass

    try:
        login = " ".join(getpass.getuser().split())
    except (OSError, KeyError):  # no login name, e.g. an unnamed uid in a container
        return ""
    # $LOGNAME or $USER may say anything; an unusable one leaves entries unattributed.
    return login if line_problem(login, "author") is None else ""
