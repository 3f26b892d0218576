"""The wording of what `import`, `check`, `db info`, `forget` and `merge` report.

Plain text for a person (cli.py writes it to stderr or stdout), so these commands load no
Rich: render.py lays out the views, this module words the summaries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rapport.names import label
from rapport.rows import short_id
from rapport.store.migrations import SCHEMA_VERSION

if TYPE_CHECKING:
    from rapport.corrections import Merged
    from rapport.maintenance import Check, Forgotten, Info
    from rapport.transfer import ContactReport, ImportReport, Namesake

PLURALS = {"client": "clients", "interaction": "interactions", "impression": "impressions",
           "fact": "facts", "follow-up": "follow-ups"}  # fmt: skip
NAMESAKES_SHOWN = 10  # hints after an import; the rest are counted


def counted(counts: dict[str, int]) -> str:
    """`2 interactions, 1 fact`: the kinds there are any of, in the order given."""
    return ", ".join(f"{n} {kind if n == 1 else PLURALS[kind]}" for kind, n in counts.items() if n)


def spoken_list(words: list[str]) -> str:
    """`Konrad Brandt, Jana Müller and Emre Demir`."""
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)


def who(client: Any) -> str:
    """`Konrad Brandt (Brandt & Vogel) [86d715f2]`: unmistakable even beside a namesake."""
    return f"{label(client.name, client.company)} [{short_id(client.uuid)}]"


# -- import ---------------------------------------------------------------------------------


def imported(source: str, report: ImportReport) -> list[str]:
    """What an import of records added, left alone or would have done, and its namesakes."""
    name = _source(source)
    parts = counted(dict(sorted(report.added.items())))
    new = f"{report.new} new" + (f" ({parts})" if parts else "")
    line = f"{new}, {report.unchanged} unchanged, {report.updated} updated"
    if report.dry_run:
        line = f"Dry run of {name}, nothing written: would be {line}"
    else:
        line = f"Imported {name}: {line}"
    if report.differing:
        places = report.differing[:10]
        if all(p.startswith("line ") for p in places) and len(places) > 1:
            places = ["lines " + ", ".join(p.removeprefix("line ") for p in places)]
        more = ", …" if len(report.differing) > 10 else ""
        count = len(report.differing)
        records = f"{count} records differ" if count > 1 else "1 record differs"
        left = "would be" if report.dry_run else "were" if count > 1 else "was"
        line += (
            f"\n{records} from the journal and {left} left alone "
            f"({', '.join(places)}{more}); --update overwrites them"
        )
    return [line, *_namesakes(report.namesakes)]


def imported_contacts(source: str, report: ContactReport) -> list[str]:
    """What an import of an address book added, or would have, and its namesakes."""
    name = _source(source)
    counts = (
        f"{report.added} new, {report.updated} updated, {report.unchanged} unchanged clients; "
        f"{report.dates} date{'s' if report.dates != 1 else ''} noted"
    )
    if report.dry_run:
        line = f"Dry run of {name}, nothing written: would be {counts}"
    else:
        line = f"Imported {name}: {counts}"
    if report.kept:  # dates the address book held that rapport could not read
        one = report.kept == 1
        kept = "would be kept" if report.dry_run else "kept"
        what = "1 date" if one else f"{report.kept} dates"
        line += (f"\n{what} {kept} as {'a fact' if one else 'facts'}: rapport could not read "
                 f"{'it' if one else 'them'}")  # fmt: skip
    return [line, *_namesakes(report.namesakes)]


def _source(source: str) -> str:
    return "stdin" if source == "-" else source


def _namesakes(namesakes: list[Namesake]) -> list[str]:
    lines = [namesake.hint for namesake in namesakes[:NAMESAKES_SHOWN]]
    if len(namesakes) > NAMESAKES_SHOWN:
        lines.append(f"… and {len(namesakes) - NAMESAKES_SHOWN} more clients beside a namesake")
    return lines


# -- check and db info ----------------------------------------------------------------------


def checked(report: Check) -> str:
    """`rapport check`'s table of findings, and its verdict on the last line."""
    if report.foreign_keys is None:
        foreign_keys = "not checked"
    else:
        foreign_keys = "; ".join(report.foreign_keys[:5]) or "ok"
    if report.version < 0:
        schema = "unknown"
    elif report.version == SCHEMA_VERSION:
        schema = f"version {report.version}"
    else:
        schema = f"version {report.version}, expected {SCHEMA_VERSION}"
    lines = [
        ("integrity", "ok" if report.integrity == ["ok"] else "; ".join(report.integrity[:5])),
        ("foreign keys", foreign_keys),
        ("search index", report.search_index),
        ("schema", schema),
    ]
    verdict = "ok" if report.ok else "NOT OK"
    return "\n".join([*(f"{name + ':':14}{value}" for name, value in lines), verdict])


def info(report: Info) -> str:
    """`rapport db info`: where the journal is, its schema, size, rows and backups."""
    singular = {plural: kind for kind, plural in PLURALS.items()}
    rows = ", ".join(f"{n} {singular[kind] if n == 1 else kind}" for kind, n in report.rows.items())
    backups = ", ".join(str(p) for p in report.backups) or (
        "the server's own (pg_dump); rapport keeps none" if report.server
        else "none beside the journal"
    )  # fmt: skip
    return "\n".join(
        [
            f"path:     {report.path}",
            f"schema:   version {report.version}",
            f"size:     {report.size / 1024:.1f} KiB",
            f"rows:     {rows}",
            f"backups:  {backups}",
        ]
    )


def info_record(report: Info) -> dict[str, object]:
    """`rapport db info --json`."""
    return {"path": str(report.path), "schema": report.version, "bytes": report.size,
            "rows": report.rows, "backups": [str(p) for p in report.backups]}  # fmt: skip


# -- forget and merge -----------------------------------------------------------------------


def forget_question(client: Any) -> str:
    return f"Erase {who(client)} and everything about them, for good?"


def forgotten(gone: Forgotten, *, on_server: bool) -> list[str]:
    """What `forget` erased, what may still hold traces, and what is left for the user.

    On a server rapport cannot reach the write-ahead log, replicas or dumps: it says so.
    """
    counts = counted(gone.removed)
    removed = f"Forgot {gone.name}" + (f" ({counts})" if counts else "")
    if gone.compacted is None and on_server:
        lines = [
            f"{removed}; rapport's tables were rewritten without them (VACUUM FULL). The "
            "server's write-ahead log, replicas and dumps keep older pages until they are "
            "recycled: that is for its administrator."
        ]
    elif gone.compacted is None:
        lines = [f"{removed}; no trace is left in the journal."]
    else:
        where = "rapport's tables on the server" if on_server else "the file"
        lines = [
            f"{removed}, but traces remain in {where} for now ({gone.compacted}); "
            "run 'rapport db compact' when nothing else has the journal open"
        ]
    lines += [f"This copy made by rapport still holds them: {copy}" for copy in gone.copies]
    lines.append("Backups and exports made earlier still hold what they held: delete those too.")
    return lines


def merge_question(gone: Any, kept: Any) -> str:
    return f"Move everything of {who(gone)} into {who(kept)} and delete {gone.name}?"


def merged(result: Merged) -> str:
    moved = counted(result.moved)
    return f"Merged {result.gone} into {result.into.name}" + (f": {moved}" if moved else "")
