"""What search reads on either engine: the searched kinds, the marks in snippets, bad queries."""

from __future__ import annotations

from rapport.store.migrations import SEARCHED

MARK_START, MARK_END = "\x02", "\x03"  # around matches in snippets; render.py styles them

# One part per searched kind: source → table, code, time shown, label shown. The FTS rowid
# (and PostgreSQL's key) is id * 4 + code (see migrations.m002_search).
PARTS = {
    "interaction": ("interaction", 0, "t.at", "t.kind"),
    "impression": ("impression", 1, "t.at", "t.stage || ' impression'"),
    "fact": ("fact", 2, "t.at", "t.topic"),
    "follow-up": ("follow_up", 3, "t.created_at", "'follow-up'"),
}
COLUMNS = {table: column for table, column, _ in SEARCHED}  # table → its searched text


class QueryError(Exception):
    """The query cannot be read; the message says why, as FTS5 would."""
