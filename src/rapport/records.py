"""Rows as plain dictionaries: the records of the export format, which `--json` prints too.

Each record is built from its fields in formats.SCHEMA, in that order; field names and types
are a public contract (docs/export-format.md): add fields, never rename or retype them.
Timestamps are ISO 8601 in UTC with an explicit offset.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from rapport import details
from rapport.formats import SCHEMA
from rapport.rows import TABLES

if TYPE_CHECKING:
    from rapport.briefing import Briefing
    from rapport.clients import ClientRow
    from rapport.insight import Contacted, DriftReport, Due, Stats
    from rapport.search import Hit

Record = dict[str, Any]


def timestamp(moment: datetime | str | None) -> str | None:
    """ISO 8601 in UTC with its offset; microseconds only when there are any.

    Export passes the stored text ("2026-11-26 12:00:00.000000", always UTC) straight from
    the database; slicing it gives what `datetime.isoformat()` would.
    """
    if moment is None:
        return None
    if isinstance(moment, str):
        fraction = moment[20:26]
        micro = f".{fraction}" if fraction.strip("0") else ""
        return f"{moment[:10]}T{moment[11:19]}{micro}+00:00"
    return moment.isoformat()


def day(value: date | str | None) -> str | None:
    return value if value is None or isinstance(value, str) else value.isoformat()


def split_tags(tags: str) -> list[str]:
    return [tag for tag in tags.split(",") if tag]


def uuid_list(uuids: str | list[str] | None) -> list[str]:
    """An interaction's other clients, from the journal's comma-separated text, in uuid order."""
    if not uuids:
        return []
    return sorted(uuids.split(",") if isinstance(uuids, str) else uuids)


# How a field's form is written in a record; the others are written as they are stored.
# exporting._SQL says the same in SQL.
def labeled_items(text: str | None) -> list[Record]:
    """A list column (e-mails, phones) as `[{"label": "work", "value": "…"}]`."""
    return [{"label": item.label, "value": item.value} for item in details.labeled(text)]


def yearly_dates(text: str | None) -> list[Record]:
    """The `dates` column as `[{"label": "birthday", "date": "1969-04-02"}]`."""
    return [{"label": item.label, "date": item.text()} for item in details.yearlies(text)]


_WRITE = {"time": timestamp, "day": day, "tags": split_tags, "bool": bool,
          "first": details.first, "labeled": labeled_items, "dates": yearly_dates,
          "uuids": uuid_list}  # fmt: skip
_NAMES = {kind: tuple(fields) for kind, fields in SCHEMA.items()}
_WRITTEN = {
    kind: [(f.name, _WRITE[f.form]) for f in fields.values() if f.form in _WRITE]
    for kind, fields in SCHEMA.items()
}
_SOURCES = {kind: [f.column.split(".") for f in fields.values()] for kind, fields in SCHEMA.items()}


def record(kind: str, values: Iterable[Any]) -> Record:
    """The record of one row from its fields' stored values, in SCHEMA's order."""
    # The quickest way to build it (export builds millions); the values come from a SELECT
    # of the same fields, so a strict zip would only cost time.
    built = {"type": kind}
    built.update(zip(_NAMES[kind], values, strict=False))
    for name, write in _WRITTEN[kind]:
        built[name] = write(built[name])
    return built


def record_of(
    kind: str,
    row: Any,
    client: Any = None,
    interaction_uuid: str | None = None,
    with_clients: list[str] | None = None,
) -> Record:
    """The record of a row object (any with the columns as attributes): `client` is the one
    it belongs to (with `.uuid` and `.name`), `interaction_uuid` the contact it came from,
    `with_clients` an interaction's other clients."""
    tables = {"t": row, "c": client, "i": SimpleNamespace(uuid=interaction_uuid),
              "w": SimpleNamespace(uuids=with_clients)}  # fmt: skip
    return record(kind, [getattr(tables[table], column) for table, column in _SOURCES[kind]])


def briefing_json(b: Briefing) -> Record:
    """`show --json`: the briefing's parts, each made of the records above."""
    client = b.client
    interactions = b.interaction_uuids
    return {
        "client": {
            **record_of("client", client),
            "interaction_count": b.interaction_count,
            "last_contact": timestamp(b.last_contact.at) if b.last_contact else None,
            "overdue_days": b.overdue_days,
            "scores": b.scores,
        },
        "first_impression": record_of("impression", b.first, client) if b.first else None,
        "latest_impression": record_of("impression", b.latest, client) if b.latest else None,
        "facts": [record_of("fact", f, client) for f in b.facts],
        "follow_ups": [
            record_of("follow-up", f, client, interactions.get(f.interaction_id or -1))
            for f in b.follow_ups
        ],
        # interactions, impressions and facts: each record type is named as its table is
        "timeline": [_entry(b, e) for e in b.timeline],
    }


def _entry(b: Briefing, entry: Any) -> Record:
    """A timeline entry's record; a meeting with several people names its own client (who
    may be another) and the others."""
    kind = TABLES[type(entry)]
    meeting = b.meetings.get(entry.id) if kind == "interaction" else None
    if meeting is None:
        return record_of(kind, entry, b.client)
    owner = SimpleNamespace(uuid=meeting.owner[0], name=meeting.owner[1])
    return record_of(kind, entry, owner, with_clients=[uuid for uuid, _ in meeting.others])


def client_rows_json(rows: list[ClientRow]) -> list[Record]:
    """`clients --json`: each client record with its summary figures."""
    return [
        {
            **record_of("client", row.client),
            "interaction_count": row.interaction_count,
            "last_contact": timestamp(row.last_contact),
            "last_kind": row.last_kind,
            "first_score": row.first_score,
            "latest_score": row.latest_score,
            "overdue_days": row.overdue_days,
            "scores": row.scores,
        }
        for row in rows
    ]


def hit_record(hit: Hit) -> Record:
    """`search --json`: where a match is, with the matched words in **bold** (Markdown)."""
    from rapport.search import MARK_END, MARK_START

    return {
        "type": hit.source,
        "uuid": hit.uuid,
        "client_uuid": hit.client_uuid,
        "client_name": hit.client,
        "at": timestamp(hit.at),
        "label": hit.label,
        "snippet": hit.snippet.replace(MARK_START, "**").replace(MARK_END, "**"),
        "rank": round(hit.rank, 6),
        "client_archived": hit.archived,
    }


def due_json(report: Due | None) -> Record:
    """`due --json`: follow-ups due, clients due for contact, clients never contacted,
    clients contacted lately without a first impression, dates coming round."""
    if report is None:
        return {"horizon": None, "follow_ups": [], "clients": [], "never_contacted": [],
                "no_first_impression": [], "dates": []}  # fmt: skip
    return {
        "horizon": day(report.horizon),
        "follow_ups": [
            {
                **record_of("follow-up", i.follow_up, i.client, i.interaction_uuid),
                "overdue_days": i.overdue_days,
            }
            for i in report.follow_ups
        ],
        "clients": client_rows_json(report.clients),
        "never_contacted": client_rows_json(report.never_contacted),
        "no_first_impression": client_rows_json(report.no_first_impression),
        "dates": [
            {
                "client_uuid": item.client.uuid,
                "client_name": item.client.name,
                "label": item.date.label,
                "date": item.date.text(),
                "next": day(item.next),
                "in_days": item.in_days,
                "years": item.years,
            }
            for item in report.dates
        ],
    }


def drift_json(report: DriftReport) -> Record:
    """`drift --json`: first and latest impression per client, largest change first."""
    return {
        "clients": [
            {
                "client_uuid": row.client.uuid,
                "client_name": row.client.name,
                "first": record_of("impression", row.first, row.client),
                "latest": record_of("impression", row.latest, row.client),
                "change": row.change,
            }
            for row in report.rows
        ],
        "deceived": report.deceived,
        "scored": report.scored,
        "not_compared": {
            "no_first": report.not_compared.no_first,
            "no_later": report.not_compared.no_later,
            "unscored": report.not_compared.unscored,
        },
    }


def stats_json(report: Stats) -> Record:
    """`stats --json`: the figures `rapport stats` draws, as named fields."""
    return {
        "clients": report.clients,
        "interactions": report.interactions,
        "impressions": report.impressions,
        "facts": report.facts,
        "open_follow_ups": report.open_follow_ups,
        "average_gap_days": report.average_gap_days,
        "months": [{"month": month, "interactions": count} for month, count in report.months],
        "kinds": [{"kind": kind, "interactions": count} for kind, count in report.kinds],
        "most_contacted": [_contacted(c) for c in report.most],
        "least_contacted": [_contacted(c) for c in report.least],
    }


def _contacted(client: Contacted) -> Record:
    return {"client_uuid": client.uuid, "client_name": client.name, "company": client.company,
            "interactions": client.interactions}  # fmt: skip
