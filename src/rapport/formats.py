"""Export and import formats: the record schema, its writers and its readers.

One record per journal row, as `records.py` builds them. Writers: jsonl (default), json, csv,
markdown. Readers: jsonl, json, csv, each yielding `(line number, record)`; every record is
checked against SCHEMA before anything is written. vCard contacts are read here too.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
import uuid as uuid_module
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from typing import IO, Any

from rapport import dates, details
from rapport.checks import KINDS, MAX_TEXT_BYTES, SCORE_RANGE, STAGES, TAG, TOPICS
from rapport.errors import BadInput

FORMAT = 1
HEADER = {"type": "header", "format": FORMAT}
TYPES = ("client", "interaction", "impression", "fact", "follow-up")
EXPORT_FORMATS = ("jsonl", "json", "csv", "markdown", "vcf", "ics")
IMPORT_FORMATS = ("jsonl", "json", "csv", "vcf")
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv",
              ".vcf": "vcf", ".vcard": "vcf"}  # fmt: skip

Record = dict[str, Any]


class RecordError(ValueError):
    """One record is wrong; the reader adds the line number."""


# -- the schema ---------------------------------------------------------------------------


def _text(value: Any, *, empty: bool = False) -> str:
    if not isinstance(value, str):
        raise RecordError("must be text")
    if "\x00" in value:
        raise RecordError("contains a NUL byte")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise RecordError("contains an unpaired surrogate, which is not text") from None
    if not empty and not value.strip():
        raise RecordError("must not be empty")
    # The same limit as `log`: a character takes at most 4 bytes, so short texts skip encoding.
    if len(value) * 4 > MAX_TEXT_BYTES and (size := len(value.encode("utf-8"))) > MAX_TEXT_BYTES:
        raise RecordError(
            f"is {size:,} bytes; rapport keeps texts up to 1 MiB, {MAX_TEXT_BYTES:,} bytes"
        )
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None or value == "" else _text(value)


def _note(value: Any) -> str:
    return _text(value, empty=True)


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _uuid(value: Any) -> str:
    if isinstance(value, str) and _CANONICAL_UUID.fullmatch(value):
        return value  # as rapport writes them: the usual case, checked without parsing
    try:
        return str(uuid_module.UUID(_text(value)))
    except ValueError:
        raise RecordError(f"is not a uuid: {value!r}") from None


def _moment(value: Any) -> datetime:
    text = _text(value)
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        if parsed.tzinfo:
            return parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise RecordError(f"is not an ISO 8601 time: {value!r}") from None
    # A time without an offset is local: one the clocks skip or pass twice is no time at all.
    try:
        return dates.from_wall_clock(parsed)
    except BadInput as error:
        raise RecordError(f"is {value!r}, but {error}") from None


def _optional_moment(value: Any) -> datetime | None:
    return None if value is None or value == "" else _moment(value)


def _optional_day(value: Any) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(_text(value))
    except ValueError:
        raise RecordError(f"is not a day (YYYY-MM-DD): {value!r}") from None


def _integer(value: Any, allowed: range) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(f"must be a whole number, not {value!r}")
    if value not in allowed:
        raise RecordError(f"must be between {allowed.start} and {allowed.stop - 1}")
    return value


def _score(value: Any) -> int | None:
    return _integer(value, SCORE_RANGE)


def _cadence(value: Any) -> int | None:
    return _integer(value, range(1, 3651))


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise RecordError(f"must be true or false, not {value!r}")
    return value


def _tags(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise RecordError("must be a list of words")
    return value


def _client_uuids(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise RecordError("must be a list of client uuids")
    return [_uuid(item) for item in value]


def _choice(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise RecordError(f"must be one of {', '.join(choices)}, not {value!r}")
        return value

    return check


def _label(value: Any) -> str:
    if not isinstance(value, str):
        raise RecordError("has a label that is not text")
    if value and details.check_label(value, "item") != value:  # as rapport stores them
        raise RecordError(f"has the label {value!r}; labels are lower case, single-spaced")
    return value


def _item(value: Any, keys: tuple[str, str]) -> tuple[str, str]:
    if not isinstance(value, dict) or set(value) != set(keys):
        raise RecordError(f"must be a list of objects with the keys {' and '.join(keys)}")
    text = _text(value[keys[1]])
    if "\n" in text or "\r" in text:
        raise RecordError(f"has a {keys[1]} of more than one line: {text!r}")
    try:
        return _label(value[keys[0]]), text.strip()
    except BadInput as error:
        raise RecordError(f"has a label rapport cannot keep: {error}") from None


def _labeled(value: Any) -> list[details.Labeled] | None:
    """`emails`, `phones`: [{"label": "work", "value": "…"}, …]."""
    if not isinstance(value, list):
        raise RecordError('must be a list like [{"label": "work", "value": "…"}]')
    found = [_item(item, ("label", "value")) for item in value]
    return [details.Labeled(text, label) for label, text in found]


def _yearly_dates(value: Any) -> list[details.Yearly]:
    """`dates`: [{"label": "birthday", "date": "1969-04-02"}, …], "--04-02" without year."""
    if not isinstance(value, list):
        raise RecordError('must be a list like [{"label": "birthday", "date": "1969-04-02"}]')
    found: list[details.Yearly] = []
    for label, text in (_item(item, ("label", "date")) for item in value):
        if not label:
            raise RecordError("has a date without a label")
        try:
            found = details.with_date(found, details.yearly(label, text))
        except BadInput as error:
            raise RecordError(f"has a date rapport cannot keep: {error}") from None
    return found


def _client_lists(values: dict[str, Any]) -> None:
    """The journal's columns of a client's lists: `emails` and `phones` rule when given (the
    single `email`/`phone` must then be their first value); an older record's `email` alone
    is one unlabelled item."""
    for single, listed in (("email", "emails"), ("phone", "phones")):
        items = values.pop(listed)
        if items is None:
            continue
        first = items[0].value if items else None
        if values[single] is not None and values[single] != first:
            raise RecordError(
                f"field {single!r} is {values[single]!r}, but the first of {listed!r} is "
                f"{first!r}; {single!r} is the first of {listed!r}"
            )
        values[single] = details.joined(items)
    values["dates"] = details.dates_text(list(values["dates"]))


@dataclass(frozen=True)
class Field:
    """One field of a record: how import checks it, how it is written (`form`), and where
    export reads it (`column`). records.py and exporting.py build the records from these."""

    name: str
    check: Callable[[Any], Any]
    required: bool = False
    # text, user (a person's text, neutralised in CSV), int, bool, tags (a list in JSON,
    # comma-separated in the journal), time (ISO 8601 with its offset), day (YYYY-MM-DD),
    # uuids (a list in JSON, in uuid order), first (the first item of a list column, as
    # user), labeled (a list column's items as {"label", "value"}), dates (yearly dates as
    # {"label", "date"}); in CSV the lists are the column as the journal keeps it, one
    # `label: value` a line.
    form: str = "text"
    default: Any = None  # for an optional field that is missing or null
    # The SQL export reads it from: the row's own column (t.<name>) unless given; c. is the
    # record's client, i. the interaction a follow-up came from, w. an interaction's other
    # clients (interaction_client: exporting.py says how to read them).
    column: str = ""


def _fields(*fields: Field) -> dict[str, Field]:
    return {
        field.name: replace(field, column=field.column or f"t.{field.name}") for field in fields
    }


_OWNER = (
    Field("client_uuid", _uuid, required=True, column="c.uuid"),
    Field("client_name", _optional_text, form="user", column="c.name"),
)
_STAMPS = (
    Field("uuid", _uuid, required=True),
    Field("created_at", _optional_moment, form="time"),
)
_AT = Field("at", _moment, required=True, form="time")
_TAGS = Field("tags", _tags, form="tags", default=())
# Who wrote an entry; "" for entries from before authorship was recorded.
_AUTHOR = Field(
    "author", lambda v: "" if v is None else _text(v, empty=True), form="user", default=""
)

# Each record's fields in the order rapport writes them: docs/export-format.md describes them.
SCHEMA: dict[str, dict[str, Field]] = {
    "client": _fields(
        _STAMPS[0],
        Field("name", _text, required=True, form="user"),
        Field("company", _optional_text, form="user"),
        Field("role", _optional_text, form="user"),
        Field("email", _optional_text, form="first"),
        Field("phone", _optional_text, form="first"),
        _TAGS,
        Field("cadence_days", _cadence, form="int"),
        Field("archived", _flag, form="bool", default=False),
        _STAMPS[1],
        # The lists of schema 7; `email` and `phone` above are their first values.
        Field("emails", _labeled, form="labeled", column="t.email"),
        Field("phones", _labeled, form="labeled", column="t.phone"),
        Field("dates", _yearly_dates, form="dates", default=()),
        Field("met", _optional_text, form="user"),
    ),
    "interaction": _fields(
        _STAMPS[0],
        *_OWNER,
        _AT,
        Field("kind", _choice(KINDS), required=True),
        Field("note", _note, form="user", default=""),
        Field("mood", _score, form="int"),
        _TAGS,
        _AUTHOR,
        _STAMPS[1],
        # The other clients of a meeting with several people; older exports lack it.
        Field("with_clients", _client_uuids, form="uuids", default=(), column="w.uuids"),
    ),
    "impression": _fields(
        _STAMPS[0],
        *_OWNER,
        _AT,
        Field("stage", _choice(STAGES), required=True),
        Field("text", _text, required=True, form="user"),
        Field("score", _score, form="int"),
        _AUTHOR,
        _STAMPS[1],
    ),
    "fact": _fields(
        _STAMPS[0],
        *_OWNER,
        _AT,
        Field("topic", _choice(TOPICS), required=True),
        Field("text", _text, required=True, form="user"),
        _AUTHOR,
        _STAMPS[1],
    ),
    "follow-up": _fields(
        _STAMPS[0],
        *_OWNER,
        Field("interaction_uuid", lambda v: None if v in (None, "") else _uuid(v), column="i.uuid"),
        Field("text", _text, required=True, form="user"),
        Field("due", _optional_day, form="day"),
        Field("done_at", _optional_moment, form="time"),
        _AUTHOR,
        _STAMPS[1],
    ),
}

_KEYS = {kind: frozenset(["type", *fields]) for kind, fields in SCHEMA.items()}
CSV_COLUMNS = ["type", *dict.fromkeys(name for fields in SCHEMA.values() for name in fields)]
CSV_COLUMNS.append("format")


# Fields a record may leave out to keep what the journal holds (`import --update`): those
# older exports lack. Present (even null or []) they set the value.
KEEPABLE = {"client": ("email", "phone", "emails", "phones", "dates", "met"),
            "interaction": ("with_clients",)}  # fmt: skip
ABSENT = "_absent"  # the key of check_record's values naming the fields left out


def check_record(record: Any) -> tuple[str, dict[str, Any]]:
    """The record's type and its checked values; RecordError names the first problem.

    values[ABSENT] names the KEEPABLE fields the record leaves out: for a client, `email`
    when neither `email` nor `emails` is there, `emails` when only `email` is (the first of
    the list is given, not the rest); the same for phones."""
    if not isinstance(record, dict):
        raise RecordError("is not a JSON object")
    kind = record.get("type")
    if kind == "header":
        version = record.get("format")
        if type(version) is not int or version != FORMAT:  # neither 1.0 nor true is 1 here
            raise RecordError(f"is format {version!r}; this rapport reads format {FORMAT}")
        if not record.keys() <= {"type", "format"}:
            _no_other_fields(record, ("format",), "the header")
        return "header", {}
    if kind not in SCHEMA:
        raise RecordError(f"has unknown type {kind!r}; expected one of {', '.join(TYPES)}")
    if not record.keys() <= _KEYS[kind]:  # compared in C: the usual record costs nothing
        _no_other_fields(record, SCHEMA[kind], f"a {kind}")
    values = {}
    for name, field in SCHEMA[kind].items():
        value = record.get(name)
        if value is None:
            if field.required:
                raise RecordError(f"misses the field {name!r}")
            values[name] = field.default
            continue
        try:
            values[name] = field.check(value)
        except RecordError as error:
            raise RecordError(f"field {name!r} {error}") from None
    if kind == "client":
        _client_lists(values)
    values[ABSENT] = _absent(kind, record)
    return kind, values


def _absent(kind: str, record: dict[str, Any]) -> frozenset[str]:
    absent = {name for name in KEEPABLE.get(kind, ()) if name not in record}
    for single, listed in (("email", "emails"), ("phone", "phones")):
        if single in absent and listed in absent:
            absent.discard(listed)  # the whole list is kept
        elif listed in absent or single in absent:
            absent.discard(single)  # `emails` alone gives the whole list
    return frozenset(absent)


def _no_other_fields(record: dict[str, Any], fields: Container[str], what: str) -> None:
    """A field rapport does not know (a typo, another program's) would be dropped unseen."""
    for name in record:
        if name != "type" and name not in fields:
            raise RecordError(f"has the field {name!r}, which {what} record does not have")


# -- writing ------------------------------------------------------------------------------

# OWASP's rule against formula injection: a cell that starts with one of these is prefixed
# with an apostrophe. A text that already starts with apostrophes before one of them gets
# one more, so that reading strips exactly one and the round trip is lossless.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    return "'" + text if text.lstrip("'").startswith(FORMULA_STARTS) else text


def unneutralise(text: str) -> str:
    return (
        text[1:] if text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS) else text
    )


def _csv_cell(value: Any, form: str, raw: bool) -> str:
    if value is None:
        return ""
    if form in ("tags", "uuids"):
        return " ".join(value)
    if form == "bool":
        return "true" if value else "false"
    if form == "labeled":
        value = "\n".join(f"{i['label']}: {i['value']}" if i["label"] else i["value"]
                          for i in value)  # fmt: skip
        return value if raw else neutralise(value)
    if form == "dates":
        return "\n".join(f"{item['label']}: {item['date']}" for item in value)
    if form in ("user", "first") and not raw:
        return neutralise(value)
    return str(value)


# One encoder for all records: json.dumps with options builds a new one for every call.
encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def write_jsonl(lines: Iterable[str], out: IO[str]) -> None:
    """Records already encoded as JSON text (exporting.export_lines), one per line."""
    out.writelines(f"{line}\n" for line in lines)


def write_json(lines: Iterable[str], out: IO[str]) -> None:
    # Streamed by hand, one record a line, so a large journal never sits in memory.
    iterator = iter(lines)
    header = json.loads(next(iterator))
    out.write(f'{{"format":{header["format"]},"records":[')
    separator = "\n"
    for line in iterator:
        out.write(separator + line)
        separator = ",\n"
    out.write("\n]}\n")


def write_csv(records: Iterable[Record], out: IO[str], *, raw: bool = False) -> None:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        if record["type"] == "header":
            writer.writerow(["header"] + [""] * (len(CSV_COLUMNS) - 2) + [record["format"]])
            continue
        fields = SCHEMA[record["type"]]
        writer.writerow(
            _csv_cell(record.get(column), fields[column].form, raw) if column in fields
            else record["type"] if column == "type" else ""
            for column in CSV_COLUMNS
        )  # fmt: skip


# -- reading ------------------------------------------------------------------------------


def decoded_lines(stream: IO[bytes]) -> Iterator[tuple[int, str]]:
    """Lines as text with their numbers; bad UTF-8 or a NUL byte stops with the line.

    A byte-order mark at the start (Excel's "CSV UTF-8" writes one) is dropped.
    """
    for number, raw in enumerate(stream, start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if b"\x00" in raw:
            raise BadInput(f"line {number}: contains a NUL byte; nothing imported")
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise BadInput(
                f"line {number}: not valid UTF-8 (byte {error.start + 1}); nothing imported"
            ) from None


class _RepeatedKey(ValueError):
    """A JSON object names a key twice; json.loads would keep the last value unseen."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _RepeatedKey(f"the key {key!r} appears twice in one object")
            seen.add(key)
    return record


_decode_json = json.JSONDecoder(object_pairs_hook=_unique_keys).decode


def _json(text: str, where: str) -> Any:
    try:
        return _decode_json(text)
    except json.JSONDecodeError as error:
        raise BadInput(f"{where}: not JSON ({error.msg}); nothing imported") from None
    except _RepeatedKey as error:
        raise BadInput(f"{where}: {error}; nothing imported") from None
    except ValueError as error:  # e.g. an integer of thousands of digits
        raise BadInput(f"{where}: not a value rapport reads ({error}); nothing imported") from None


def read_jsonl(stream: IO[bytes]) -> Iterator[tuple[str, Any]]:
    for number, line in decoded_lines(stream):
        if line.strip():
            yield f"line {number}", _json(line, f"line {number}")


def read_json(stream: IO[bytes]) -> Iterator[tuple[str, Any]]:
    text = "".join(line for _, line in decoded_lines(stream))
    try:
        document = _decode_json(text)
    except json.JSONDecodeError as error:
        raise BadInput(f"line {error.lineno}: not JSON ({error.msg}); nothing imported") from None
    except _RepeatedKey as error:
        raise BadInput(f"{error}; nothing imported") from None
    except ValueError as error:
        raise BadInput(f"not a value rapport reads ({error}); nothing imported") from None
    if not isinstance(document, dict) or not isinstance(document.get("records"), list):
        raise BadInput('line 1: expected {"format": 1, "records": [...]}; nothing imported')
    other = next((key for key in document if key not in ("format", "records")), None)
    if other is not None:  # what it holds would be dropped unseen
        raise BadInput(
            f'the document has the key {other!r}; rapport reads "format" and "records"; '
            "nothing imported"
        )
    yield "the header", {"type": "header", "format": document.get("format")}
    # A JSON document has no lines to speak of once parsed: records are counted instead.
    for number, record in enumerate(document["records"], start=1):
        yield f"record {number}", record


_INTEGER = re.compile(r"-?[0-9]{1,9}")


def _from_csv(row: dict[str | None, Any], raw: bool) -> Record:
    if None in row:
        raise RecordError("has more cells than the header row has columns")
    kind = row.get("type", "")
    # A filled cell in a column the record's type does not have would be dropped unseen.
    fields: Container[str] = ("format",) if kind == "header" else SCHEMA.get(kind, {})
    for name, cell in row.items():
        if cell and name != "type" and name not in fields and fields:
            what = "the header" if kind == "header" else f"a {kind}"
            raise RecordError(f"has a value in the column {name!r}, which {what} does not have")
    if kind == "header":
        cell = row.get("format") or ""
        return {"type": "header", "format": int(cell) if _INTEGER.fullmatch(cell) else cell}
    record: Record = {"type": kind}
    for name, field in SCHEMA.get(kind, {}).items():
        if name not in row and name in KEEPABLE.get(kind, ()):
            continue  # no such column: the journal's value stays (an empty cell sets it)
        cell = row.get(name) or ""
        if field.form in ("tags", "uuids"):
            record[name] = cell.split()
        elif field.form == "bool":
            # Excel writes TRUE and FALSE when it saves the file again.
            record[name] = {"true": True, "false": False}.get(cell.lower(), cell or False)
        elif field.form == "int":
            record[name] = int(cell) if _INTEGER.fullmatch(cell) else (cell or None)
        elif field.form in ("user", "first"):
            record[name] = cell if raw else unneutralise(cell)
        elif field.form == "labeled":
            items = details.labeled(cell if raw else unneutralise(cell))
            # An empty cell is no list at all: an older file's `email` then rules.
            record[name] = [{"label": i.label, "value": i.value} for i in items] or None
        elif field.form == "dates":
            record[name] = _csv_dates(cell)
        else:
            record[name] = cell or None
    return record


def _csv_dates(cell: str) -> list[dict[str, str]]:
    """A `dates` cell: `birthday: 1969-04-02` a line."""
    found = []
    for line in cell.splitlines():
        label, colon, day = line.rpartition(":")
        if not colon:
            raise RecordError(f"has the date {line!r} without a label ('birthday: 1969-04-02')")
        found.append({"label": label.strip(), "date": day.strip()})
    return found


def read_csv(stream: IO[bytes], *, raw: bool = False) -> Iterator[tuple[str, Any]]:
    """Records from rapport's CSV; each is named by the line it starts on (a quoted cell may
    hold newlines, so one record can span several lines)."""
    lines = decoded_lines(stream)
    first = next(lines, None)
    at = {"line": 0, "start": 0}  # the last line read; the first line of the current record

    def text() -> Iterator[str]:
        for number, line in itertools.chain([first] if first else [], lines):
            at["line"] = number
            if not at["start"] and line.rstrip("\r\n"):  # csv skips only empty lines
                at["start"] = number
            yield line

    reader = csv.DictReader(text(), strict=True, delimiter=_delimiter(first[1] if first else ""))
    try:
        if reader.fieldnames is None or "type" not in reader.fieldnames:
            raise BadInput(
                "line 1: a rapport CSV starts with a header row naming 'type'; nothing imported"
            )
        _check_columns(reader.fieldnames)
        at["start"] = 0
        for row in reader:
            where = f"line {at['start']}"
            at["start"] = 0
            try:
                yield where, _from_csv(row, raw)
            except RecordError as error:
                raise BadInput(f"{where}: the row {error}; nothing imported") from None
    except csv.Error as error:
        where = at["start"] or at["line"]
        raise BadInput(f"line {where}: not CSV ({error}); nothing imported") from None


def _delimiter(header: str) -> str:
    """`;` for a header row written with semicolons, as Excel saves CSV in German (and other)
    locales; no column rapport writes holds either character, so the row tells."""
    return ";" if ";" in header and "," not in header else ","


def _check_columns(columns: list[str]) -> None:
    """Each column once, and only columns rapport writes: the rest would be dropped unseen."""
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            raise BadInput(f"line 1: the column {column!r} appears twice; nothing imported")
        if column not in _KNOWN_COLUMNS:
            raise BadInput(
                f"line 1: unknown column {column!r}; rapport's columns are "
                f"{', '.join(CSV_COLUMNS)}; nothing imported"
            )
        seen.add(column)


_KNOWN_COLUMNS = frozenset(CSV_COLUMNS)


READERS: dict[str, Callable[..., Iterator[tuple[str, Any]]]] = {
    "jsonl": read_jsonl,
    "json": read_json,
    "csv": read_csv,
}


# -- vCard --------------------------------------------------------------------------------


@dataclass
class Contact:
    line: int
    name: str
    uuid: str | None = None  # from a UID that is a uuid; other UIDs mean nothing to rapport
    company: str | None = None
    role: str | None = None
    emails: tuple[details.Labeled, ...] = ()
    phones: tuple[details.Labeled, ...] = ()
    dates: tuple[details.Yearly, ...] = ()  # BDAY, ANNIVERSARY, Apple's labelled X-ABDATE
    # Dates rapport cannot read, as facts (topic, text): "Birthday: circa 1800".
    unread: tuple[tuple[str, str], ...] = ()
    tags: tuple[str, ...] = ()  # CATEGORIES, as tags: "Key Account" → key-account
    note: str | None = None  # NOTE: what the address book says of them, as how you met


def _values(card: Any, key: str) -> list[str]:
    return [str(item.value).strip() for item in card.contents.get(key, []) if item.value]


def read_vcards(stream: IO[bytes]) -> list[Contact]:
    """Contacts from a vCard 2.1, 3 or 4 file (an address book or a phone's export).

    The cards are found here and handed to vobject one by one, so an error names the line
    of the file it is on (vobject's own line numbers are off in 0.9.9).
    """
    import vobject

    contacts = []
    for start, lines in _cards(_soft_breaks_joined(decoded_lines(stream))):
        try:
            card = vobject.readOne("".join(text for _, text in lines))
        except vobject.base.ParseError as error:
            where = next((n for n, text in lines if not _CONTENT_LINE.match(text)), start)
            reason = re.sub(r"^At line \d+: ", "", str(error))
            raise BadInput(f"line {where}: not a vCard ({reason}); nothing imported") from None
        except (UnicodeDecodeError, LookupError):
            raise _undecodable(lines, start) from None
        contacts.append(_contact(card, start))
    return contacts


# name[;parameters]:value, a folded continuation (starts with a blank), or an empty line.
_CONTENT_LINE = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)?(?:;[^:]*)?:|[ \t]|\r?\n?$")
# vCard 2.1 marks a quoted-printable value with ENCODING=QUOTED-PRINTABLE or the bare word.
_QUOTED_PRINTABLE = re.compile(r"[^:;]+;(?:[^:]*;)?(?:ENCODING=)?QUOTED-PRINTABLE[;:]", re.I)


def _soft_breaks_joined(lines: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """Lines, with vCard 2.1's quoted-printable soft line breaks undone.

    Phones (Nokia, Android) break a long quoted-printable value with `=` at the end of a
    line; the next line goes on with the value, even when it starts with a blank or looks
    like `END:VCARD`. Dropping the `=` and the line break is what quoted-printable means
    by it, so the joined line decodes to the same value and keeps its first line's number.
    """
    pending: tuple[int, str] | None = None
    for number, text in lines:
        if pending is not None:
            if text.strip():
                number, text = pending[0], pending[1].rstrip("\r\n")[:-1] + text
            else:  # a blank line ends the card's value, whatever came before
                yield pending
        pending = None
        if _QUOTED_PRINTABLE.match(text) and text.rstrip("\r\n").endswith("="):
            pending = (number, text)
            continue
        yield number, text
    if pending is not None:
        yield pending


def _undecodable(lines: list[tuple[int, str]], start: int) -> BadInput:
    """The line whose quoted-printable value is not text in its CHARSET (UTF-8 if none)."""
    import vobject

    for number, text in lines:
        if _QUOTED_PRINTABLE.match(text):
            charset = re.search(r";CHARSET=([^;:]+)", text.split(":", 1)[0], re.I)
            name = charset.group(1) if charset else "UTF-8"
            try:
                vobject.base.textLineToContentLine(text.rstrip("\r\n"))
            except LookupError:
                return BadInput(f"line {number}: unknown CHARSET {name!r}; nothing imported")
            except ValueError:
                return BadInput(
                    f"line {number}: the quoted-printable value is not {name} text "
                    "(a CHARSET= parameter names the encoding); nothing imported"
                )
    return BadInput(f"line {start}: a vCard value in an unknown encoding; nothing imported")


def _cards(
    lines: Iterable[tuple[int, str]],
) -> Iterator[tuple[int, list[tuple[int, str]]]]:
    """Each card's first line number and its lines, BEGIN:VCARD to END:VCARD.

    A card may hold another (vCard 2.1's AGENT); a folded line (it starts with a blank)
    never begins or ends one.
    """
    card: list[tuple[int, str]] = []
    depth = 0
    for number, text in lines:
        word = "" if text[:1] in (" ", "\t") else text.rstrip().upper()
        if not card:
            if word == "BEGIN:VCARD":
                card, depth = [(number, text)], 1
            elif text.strip():
                raise BadInput(
                    f"line {number}: not a vCard (text outside BEGIN:VCARD … END:VCARD); "
                    "nothing imported"
                )
            continue
        card.append((number, text))
        depth += (word == "BEGIN:VCARD") - (word == "END:VCARD")
        if depth == 0:
            yield card[0][0], card
            card = []
    if card:
        raise BadInput(f"line {card[0][0]}: a vCard without END:VCARD; nothing imported")


def _card_uuid(uid: str | None) -> str | None:
    """A UID that is a uuid (bare, urn:uuid: or braced) as rapport writes uuids; else None."""
    try:
        return _uuid(uid) if uid else None
    except RecordError:
        return None


def _contact(card: Any, line: int) -> Contact:
    names = _values(card, "fn")
    if not names and "n" in card.contents:
        n = card.n.value
        names = [" ".join(part for part in (n.given, n.additional, n.family) if part)]
    if not names or not names[0].strip():
        raise BadInput(f"line {line}: a vCard without a name (FN); nothing imported")
    organisation = None
    if "org" in card.contents:
        value = card.org.value
        parts = value if isinstance(value, list) else [value]
        # One line, as `add` keeps a name: a quoted-printable =0D=0A would break a table.
        organisation = ", ".join(" ".join(p.split()) for p in parts if p and p.strip()) or None
    dates, unread = _card_dates(card)
    return Contact(
        line=line,
        name=" ".join(names[0].split()),
        uuid=_card_uuid((_values(card, "uid") or [None])[0]),
        company=organisation,
        role=" ".join((_values(card, "title") or [""])[0].split()) or None,
        emails=_labeled_values(card, "email", _apple_labels(card)),
        # vCard 4 may write a number as a URI: tel:+49-40-555
        phones=_labeled_values(card, "tel", _apple_labels(card), lambda p: p.removeprefix("tel:")),
        dates=dates,
        unread=unread,
        tags=_card_tags(card),
        note="\n".join(_values(card, "note")) or None,
    )


def _card_tags(card: Any) -> tuple[str, ...]:
    """CATEGORIES as tags, each one word ("Key Account" → key-account); a category that
    cannot be a tag even so is passed over."""
    found = []
    for item in card.contents.get("categories", []):
        values = item.value if isinstance(item.value, list) else [item.value]
        for value in values:
            tag = "-".join(str(value).lower().split()).lstrip("#")
            if TAG.fullmatch(tag):
                found.append(tag)
    return tuple(dict.fromkeys(found))


# TYPE values that say how an address or number is used; the others (internet, pref, voice)
# say nothing a person would call it by.
_TYPE_LABELS = {"work": "work", "home": "home", "cell": "mobile", "mobile": "mobile",
                "fax": "fax", "main": "main", "pager": "pager", "iphone": "iphone",
                "other": "other"}  # fmt: skip
_APPLE_LABEL = re.compile(r"_\$!<(.*)>!\$_")


def _apple_labels(card: Any) -> dict[str, str]:
    """Apple's labels of grouped properties: `item1.X-ABLabel:_$!<Anniversary>!$_`."""
    found = {}
    for item in card.contents.get("x-ablabel", []):
        if item.group and str(item.value).strip():
            text = str(item.value).strip()
            spoken = _APPLE_LABEL.fullmatch(text)
            found[item.group.lower()] = " ".join((spoken[1] if spoken else text).split()).lower()
    return found


def _label_of(item: Any, apple: dict[str, str]) -> str:
    """A property's label: Apple's for its group, else the first TYPE that names a use."""
    label = apple.get((item.group or "").lower())
    if label is None:
        types = [t for value in item.params.get("TYPE", []) for t in str(value).split(",")]
        types += list(getattr(item, "singletonparams", []))  # vCard 2.1: TEL;CELL:…
        label = next((_TYPE_LABELS[t.lower()] for t in types if t.lower() in _TYPE_LABELS), "")
    return label if details.LABEL.fullmatch(label) else ""


def _labeled_values(
    card: Any, key: str, apple: dict[str, str], clean: Callable[[str], str] = str
) -> tuple[details.Labeled, ...]:
    found: dict[str, details.Labeled] = {}
    for item in card.contents.get(key, []):
        value = " ".join(clean(str(item.value)).split())
        if value and value not in found:
            found[value] = details.Labeled(value, _label_of(item, apple))
    return tuple(found.values())


# Apple writes 1604 for a date whose year is not known.
_NO_YEAR = re.compile(r"1604-?(\d\d-?\d\d)")


def _card_dates(card: Any) -> tuple[tuple[details.Yearly, ...], tuple[tuple[str, str], ...]]:
    """BDAY as the birthday, ANNIVERSARY as `anniversary`, X-ABDATE with its Apple label;
    a date rapport cannot read comes second, as a fact's topic and text, so that nothing
    the address book held is lost."""
    apple = _apple_labels(card)
    found: list[details.Yearly] = []
    unread: list[tuple[str, str]] = []
    for key, label in (("bday", details.BIRTHDAY), ("anniversary", "anniversary"),
                       ("x-abdate", "")):  # fmt: skip
        for item in card.contents.get(key, []):
            named = label or apple.get((item.group or "").lower()) or "date"
            text = str(item.value).strip().split("T")[0]
            text = _NO_YEAR.sub(lambda m: "--" + m[1], text)
            try:
                day = details.yearly(details.check_label(named, "date"), text)
            except BadInput:
                written = " ".join(str(item.value).split())
                if written:
                    topic = "birthday" if key == "bday" else "other"
                    unread.append((topic, f"{' '.join(named.split()).capitalize()}: {written}"))
                continue
            if all(other.label != day.label for other in found):
                found.append(day)
    return tuple(found), tuple(dict.fromkeys(unread))


# -- markdown -----------------------------------------------------------------------------


def _score_suffix(score: int | None) -> str:
    return "" if score is None else f", score {score:+d}" if score else ", score 0"


# Escaped wherever they stand: code, emphasis, links, raw HTML and autolinks, tables,
# strikethrough; `_` only where it could open or close emphasis (not inside a word, so
# jana_m@example.com stays as it is); `&` only where it would start an entity.
_MD_INLINE = r"[\\`*\[\]<|~]|(?<![^\W_])_|_(?![^\W_])|&(?=#?\w+;)"
_MD_TEXT = re.compile(_MD_INLINE)
_MD_HEADING = re.compile(f"{_MD_INLINE}|#")  # a `#` at a heading's end would close it
# What makes a line a quote, heading, list item, thematic break or setext underline (`*`
# and `_` are escaped anyway); `+49 40 1` or `-2 points` stays as it is.
_MD_LINE_START = re.compile(
    r">|#{1,6}(?=[ \t]|$)|[-+](?=[ \t]|$)|-(?=[- \t]*$)|=(?=[= \t]*$)|\d{1,9}(?=[.)]([ \t]|$))"
)
_MD_EDGE_SPACE = re.compile(r"^[ \t]+|[ \t]+$")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # markdown's; str.splitlines knows more


def _references(chars: str) -> str:
    return "".join(f"&#{ord(char)};" for char in chars)


def _md_line(line: str, inline: re.Pattern[str] = _MD_TEXT) -> str:
    line = inline.sub(lambda match: "\\" + match.group(), line)
    if start := _MD_LINE_START.match(line):  # escape its first mark (after an item's number)
        end = start.end() if start.group()[0].isdigit() else 0
        line = line[:end] + "\\" + line[end:]
    # Markdown drops a line's outer spaces and reads an indented line as code: keep them as
    # character references, which render as the same characters.
    return _MD_EDGE_SPACE.sub(lambda match: _references(match.group()), line)


def _md(text: str, indent: str = "  ") -> str:
    """User text as markdown that renders as exactly that text: what would make a heading,
    list, quote, code block, HTML or table of it is escaped, and each line break is a hard
    break (continuation lines `indent`ed, to stay inside their list item)."""
    body = text.rstrip("\r\n")
    lines = _LINE_BREAK.split(body)
    # A hard break cannot end a paragraph: line breaks at the very end as references.
    return ("\\\n" + indent).join(map(_md_line, lines)) + _references(text[len(body) :])


def _md_heading(text: str) -> str:
    """A heading holds one line: line breaks in it (only old journals have them) as spaces."""
    return _md_line(" ".join(_LINE_BREAK.split(text)), _MD_HEADING)


def write_markdown(sections: Iterable[Any], out: IO[str]) -> None:
    """A readable journal: one section per client, the briefing, then the dated timeline
    (exporting.sections), written as it is read."""
    out.write("# Relationship journal\n")
    for section in sections:
        b = section.briefing
        c = b.client
        blocks = [f"## {_md_heading(c.name)}\n"]  # separated by one blank line
        items = [item.line() for item in details.labeled(c.email) + details.labeled(c.phone)]
        about = [_md(part, indent="") for part in (c.role, c.company, *items) if part]
        if about:
            blocks.append(" · ".join(about) + "\n")
        if c.tags:
            blocks.append("Tags: " + ", ".join(_md(tag) for tag in c.tags.split(",")) + "\n")
        if c.cadence_days:
            blocks.append(f"Keep in touch every {c.cadence_days} days.\n")
        yearly = details.yearlies(c.dates)
        if yearly:
            blocks.append(" · ".join(f"{_md(d.label)}: {d.spoken()}" for d in yearly) + "\n")
        if c.met:
            blocks.append(f"Met: {_md(c.met)}\n")
        impressions = "".join(
            f"- **{title}** ({dates.format_day(impression.at)}{_score_suffix(impression.score)}): "
            f"{_md(impression.text)}\n"
            for title, impression in (
                ("First impression", b.first),
                ("Latest impression", b.latest),
            )
            if impression is not None
        )
        if impressions:
            blocks.append(impressions)
        if b.facts:
            blocks.append("### Talking points\n\n" + "".join(
                f"- *{_md(fact.topic)}*: {_md(fact.text)} ({dates.format_day(fact.at)})\n"
                for fact in b.facts
            ))  # fmt: skip
        if b.follow_ups:
            blocks.append("### Open follow-ups\n\n" + "".join(
                f"- [ ] {_md(todo.text)}"
                + (f" (due {todo.due.isoformat()})" if todo.due else "") + "\n"
                for todo in b.follow_ups
            ))  # fmt: skip
        out.write("\n" + "\n".join(blocks))
        heading = "\n### Timeline\n\n"
        for moment in section.timeline:  # oldest first: a journal is read that way
            out.write(heading)
            heading = ""
            out.write(f"- **{dates.format_moment(moment.at)}** {_timeline_line(moment)}\n")


def _timeline_line(moment: Any) -> str:
    text, label = _md(moment.text), _md(moment.label)
    if moment.type == "interaction":
        mood = "" if moment.number is None else f", mood {moment.number:+d}".replace("+0", "0")
        return f"{label}{mood}: {text}"
    if moment.type == "impression":
        return f"{label} impression{_score_suffix(moment.number)}: {text}"
    return f"learned ({label}): {text}"
