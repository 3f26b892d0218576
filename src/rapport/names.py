"""Finding a client from what the user typed: forgiving, but never guessing.

`müller`, `Mueller`, `MULLER` and a decomposed `Mu\u0308ller` all find "Müller". Then a unique
prefix of the name, then a unique substring of name or company. More than one candidate is
an error that lists them; none is an error with close matches from rapidfuzz, which is only
imported on that path.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rapport.errors import BadInput, UnknownClient

_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


def fold(text: str) -> str:
    """Case- and accent-free form: `Müller` → `muller`, `Ørsted` → `ørsted`."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


def keys(text: str) -> set[str]:
    """Every folded spelling of a name: with umlauts dropped and spelled out (ü → ue)."""
    composed = unicodedata.normalize("NFC", text.casefold())
    return {fold(composed), fold(composed.translate(_GERMAN))}


@dataclass(frozen=True)
class Candidate:
    id: int
    name: str
    company: str | None

    @property
    def label(self) -> str:
        return label(self.name, self.company)


def label(name: str, company: str | None) -> str:
    """`Konrad Brandt (Brandt & Vogel)`: how rapport names a client in messages."""
    return f"{name} ({company})" if company else name


def refuse_duplicate(name: str, company: str | None, candidates: Sequence[Candidate]) -> None:
    """BadInput when the same person (name and company, folded) is already a client."""
    wanted = keys(name)
    company_key = fold(company or "")
    for other in candidates:
        if wanted & keys(other.name) and fold(other.company or "") == company_key:
            raise BadInput(f"{other.label} is already in the journal")


def resolve(query: str, candidates: Sequence[Candidate]) -> Candidate:
    """The one client `query` means, or BadInput naming the candidates or close matches."""
    wanted = keys(query)
    if not any(wanted):
        raise BadInput("give a client name")
    indexed = [(c, keys(c.name), keys(c.company or "")) for c in candidates]
    steps = (
        lambda names, _: bool(wanted & names),
        lambda names, _: any(n.startswith(w) for n in names for w in wanted),
        lambda names, companies: any(w in k for k in names | companies for w in wanted if k),
    )
    for matches in steps:
        found = [c for c, names, companies in indexed if matches(names, companies)]
        if len(found) == 1:
            return found[0]
        if found:
            found.sort(key=lambda c: fold(c.label))
            listed = "; ".join(c.label for c in found[:8])
            more = f" and {len(found) - 8} more" if len(found) > 8 else ""
            raise BadInput(
                f"{query!r} matches {len(found)} clients: {listed}{more}; say more of the name"
            )
    hint = suggest(query, candidates)
    raise UnknownClient(
        f"no client matches {query!r}" + (f"; did you mean {hint}?" if hint else "")
    )


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
