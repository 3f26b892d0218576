"""Clients as vCards: `export --format vcf`, for the user's address book.

Written with vobject from the export's client records, so a card says what the record says:
N and FN, ORG, TITLE, every e-mail and phone with its label, BDAY and ANNIVERSARY, other
yearly dates as Apple's labelled X-ABDATE (which rapport and most address books read back),
CATEGORIES from the tags, NOTE from how you met, UID = the client's uuid, REV. vCard 4.0
by default; 3.0 for older programs, where a date without its year is written as Apple does
(year 1604, X-APPLE-OMIT-YEAR), since 3.0 has no form for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import IO, Any

VERSIONS = ("4.0", "3.0")
# Labels vCard knows as TYPE values; any other label goes with the item as X-ABLabel.
EMAIL_TYPES = {"work", "home", "internet"}
PHONE_TYPES = {"work", "home", "cell", "voice", "fax", "pager", "text", "video", "textphone"}
NO_YEAR = "1604"  # Apple's year for a date without one, with X-APPLE-OMIT-YEAR


def write_vcards(records: Iterable[dict[str, Any]], out: IO[str], version: str = "4.0") -> int:
    """One card per client record (other records are passed over); how many were written."""
    revision = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    written = 0
    for record in records:
        if record.get("type") == "client":
            out.write(card(record, version, revision))
            written += 1
    return written


def card(record: dict[str, Any], version: str, revision: str) -> str:
    import vobject

    vcard = vobject.vCard()
    vcard.add("version").value = version
    vcard.add("uid").value = record["uuid"]
    vcard.add("fn").value = record["name"]
    given, _, family = record["name"].rpartition(" ")
    vcard.add("n").value = vobject.vcard.Name(family=family, given=given)
    if record.get("company"):
        vcard.add("org").value = [record["company"]]
    if record.get("role"):
        vcard.add("title").value = record["role"]
    # Each item in a group of its own, numbered: vobject writes properties sorted by group
    # and name, so the numbers keep the order (the first e-mail is the client's `email`).
    groups = (f"item{number:03d}" for number in range(1, 1000))
    for kind, items, types in (("email", record.get("emails") or [], EMAIL_TYPES),
                               ("tel", record.get("phones") or [], PHONE_TYPES)):  # fmt: skip
        for item in items:
            label = "cell" if kind == "tel" and item["label"] == "mobile" else item["label"]
            group = next(groups)
            line = vcard.add(f"{group}.{kind}")
            if label in types:
                line.type_param = label
            elif label:  # a label of the user's own: Apple's way, beside the item
                vcard.add(f"{group}.x-ablabel").value = label
            line.value = item["value"]
    for day in record.get("dates") or []:
        _add_date(vcard, day["label"], day["date"], version, groups)
    if record.get("tags"):
        vcard.add("categories").value = list(record["tags"])
    if record.get("met"):
        vcard.add("note").value = record["met"]
    vcard.add("rev").value = revision
    return vcard.serialize()


def _add_date(vcard: Any, label: str, text: str, version: str, groups: Any) -> None:
    """BDAY, ANNIVERSARY (4.0), or a labelled X-ABDATE; `text` as rapport writes it."""
    omitted = text.startswith("--")
    if version == "4.0":  # RFC 6350 writes dates in ISO 8601's basic form: 19691205, --1205
        text = text.replace("-", "") if not omitted else "--" + text[2:].replace("-", "")
    elif omitted:
        text = f"{NO_YEAR}-{text[2:]}"
    if label == "birthday" or (label == "anniversary" and version == "4.0"):
        line = vcard.add("bday" if label == "birthday" else "anniversary")
    else:
        group = next(groups)
        line = vcard.add(f"{group}.x-abdate")
        vcard.add(f"{group}.x-ablabel").value = label
    line.value = text
    if omitted and version == "3.0":
        line.x_apple_omit_year_param = NO_YEAR
