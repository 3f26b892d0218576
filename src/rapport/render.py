"""Every Rich layout rapport prints. User text always goes in through `said` or `written`:
as `Text`, never as markup, so a note that says `[red]` prints `[red]`; and with its control
characters spelled out (rapport.display), so a note cannot clear the screen or turn a line
around, and an SVG of it is well-formed XML.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import IO, TYPE_CHECKING

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from rapport import dates, details
from rapport.details import BIRTHDAY, Yearly
from rapport.display import visible
from rapport.rows import Fact, Impression, Interaction, short_id

if TYPE_CHECKING:
    from rapport.briefing import Briefing
    from rapport.clients import ClientRow
    from rapport.insight import DriftReport, Due, Stats
    from rapport.rows import Entry
    from rapport.search import Hit

# Columns: below, no view fits at all; beyond, Rich would build lines of millions of spaces.
MIN_WIDTH, MAX_WIDTH = 20, 1000

KIND_STYLE = {
    "call": "cyan",
    "meeting": "blue",
    "lunch": "magenta",
    "email": "bright_black",
    "message": "bright_black",
    "event": "yellow",
    "note": "white",
}


def console(*, record: bool = False) -> Console:
    """The Console for stdout.

    COLUMNS that is not a positive number counts as unset (Rich would take 0 and print
    nothing); a tiny or huge one is clamped. With NO_COLOR set there are no escape codes at
    all, bold and dim included, at a terminal as in a pipe. Lines are not padded.
    """
    stdout = sys.stdout  # None when closed: Rich then writes nowhere, and cli.py says so
    return Console(
        file=_Trimmed(stdout) if stdout is not None else None,
        width=_width(),
        highlight=False,
        record=record,
        color_system=None if os.environ.get("NO_COLOR") else "auto",
    )


def _width() -> int:
    """COLUMNS when it is a positive number, else the terminal's width (of stdin, stdout or
    stderr, as Rich asks), else 80; kept between MIN_WIDTH and MAX_WIDTH."""
    try:
        width = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        width = 0
    for fd in (0, 1, 2):
        if width > 0:
            break
        try:
            width = os.get_terminal_size(fd).columns
        except OSError:
            continue
    return min(max(width, MIN_WIDTH), MAX_WIDTH) if width > 0 else 80


class _Trimmed:
    """A stream that drops the spaces Rich pads each line with to the console's width: a
    file or a pipe gets lines as long as their text. Escape codes at a line's end stay."""

    _PADDING = re.compile(r"(?: |\x1b\[[0-9;]*m)+$", re.MULTILINE)
    _CODE = re.compile(r"\x1b\[[0-9;]*m")

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._partial = ""  # a line not yet ended: its padding may still come

    def write(self, text: str) -> int:
        lines, newline, self._partial = (self._partial + text).rpartition("\n")
        if newline:
            self._stream.write(self._trimmed(lines + newline))
        return len(text)

    def flush(self) -> None:
        if self._partial:
            self._stream.write(self._trimmed(self._partial))
            self._partial = ""
        self._stream.flush()

    def _trimmed(self, text: str) -> str:
        return self._PADDING.sub(lambda end: "".join(self._CODE.findall(end.group())), text)

    def __getattr__(self, name: str) -> object:  # isatty, fileno, encoding: the stream's
        return getattr(self._stream, name)


def said(text: str | None, style: str = "") -> Text:
    """User text on one line: a name, company, tag, topic, kind or author."""
    return Text(visible(text or ""), style=style)


def written(text: str, style: str = "") -> Text:
    """A note, impression, fact or follow-up: its line breaks and tabs keep their meaning."""
    return Text(visible(text, layout=True), style=style)


def score_text(score: int | None) -> Text:
    if score is None:
        return Text("·", style="dim")
    style = "red" if score < 0 else "green" if score > 0 else "yellow"
    return Text(f"{score:+d}" if score else "0", style=f"bold {style}")


def last_contact_text(last: Interaction | None) -> Text:
    line = Text()
    if last is None:
        line.append("Never contacted", style="bold")
    else:
        line.append(f"Last contact {dates.relative_day(last.at)}", style="bold")
        line.append(f", {visible(last.kind)} ({dates.format_day(last.at)})")
    return line


def cadence_text(overdue: int | None, cadence: int | None) -> Text | None:
    if not cadence:
        return None
    line = Text(f"Keep in touch every {cadence} days: ")
    if overdue is not None and overdue > 0:
        line.append(f"overdue by {overdue} days", style="bold red")
    else:
        line.append("on track", style="green")
        if overdue is not None:
            line.append(
                f", next contact due {dates.relative_day(dates.today() - timedelta(days=overdue))}",
                style="dim",
            )
    return line


def _impression_panel(title: str, impression: Impression | None, border: str) -> Panel:
    if impression is None:
        body = Text("not recorded yet", style="dim italic")
        subtitle = None
    else:
        body = written(impression.text)
        subtitle = Text.assemble(
            dates.format_day(impression.at), " · ", score_text(impression.score)
        )
    return Panel(
        body,
        title=title,
        title_align="left",
        subtitle=subtitle,
        subtitle_align="right",
        border_style=border,
        box=box.ROUNDED,
    )


def drift_text(first: Impression | None, latest: Impression | None) -> Text | None:
    """The point of rapport in one line: how far the first impression was off."""
    if first is None or latest is None or first.score is None or latest.score is None:
        return None
    change = latest.score - first.score
    line = Text.assemble("Score ", score_text(first.score), " → ", score_text(latest.score), ": ")
    if change >= 2:
        line.append(f"the first impression deceived; you see them {change} points better now.")
    elif change <= -2:
        line.append(f"the first impression was too kind; you see them {-change} points worse now.")
    elif change:
        line.append("your picture has shifted a little.")
    else:
        line.append("your first impression has held.")
    return line


def _header(b: Briefing) -> Group:
    c = b.client
    title = said(c.name, style="bold underline")
    about = ", ".join(part for part in (c.role, c.company) if part)
    if about:
        title.append("  ")
        title.append_text(said(about, style="bold"))
    if c.archived:
        title.append("  archived", style="yellow")
    # E-mails on one line with the tags, phones on the next: a line that wraps would break
    # a number in two.
    emails, phones = (" · ".join(item.line() for item in details.labeled(column))
                      for column in (c.email, c.phone))  # fmt: skip
    lines: list[RenderableType] = [title]
    if emails or c.tags:
        extra = said(emails, style="dim")
        if c.tags:
            tags = ("  " if emails else "") + "#" + " #".join(c.tags.split(","))
            extra.append_text(said(tags, style="cyan"))
        lines.append(extra)
    if phones:
        lines.append(said(phones, style="dim"))
    coming = details.yearlies(c.dates)
    if coming:
        today = dates.today()
        lines.append(Text(" · ".join(coming_text(item, today) for item in coming)))
    if c.met:
        lines.append(said(f"met: {' '.join(c.met.split())}", style="dim"))
    contacts = Text(f" · {b.interaction_count} contact{'s' if b.interaction_count != 1 else ''}")
    lines.append(last_contact_text(b.last_contact) + contacts)
    cadence = cadence_text(b.overdue_days, c.cadence_days)
    if cadence is not None:
        lines.append(cadence)
    return Group(*lines)


def coming_text(item: details.Yearly, today: date) -> str:
    """`birthday 2 April, in 5 days, turns 57`; `work anniversary 1 June, in 3 months, 11
    years`: a yearly date with when it next comes round and what it marks then. `show`'s
    header and `due` say it alike."""
    when = item.next(today)
    days = (when - today).days
    if days < 2:
        how_soon = ("today", "tomorrow")[days]
    elif days < 14:
        how_soon = f"in {days} days"
    elif days < 60:
        how_soon = f"in {days // 7} weeks"
    else:
        how_soon = f"in {round(days / 30.44)} months"
    day = Yearly(item.label, item.month, item.day).spoken()
    if when.day != item.day:  # 29 February, kept on the 28th in a common year
        day += f" ({when.day} {when:%B} in {when.year})"
    parts = [f"{item.label} {day}", how_soon]
    years = item.years_on(when)
    if years:
        plural = "s" if years != 1 else ""
        parts.append(f"turns {years}" if item.label == BIRTHDAY else f"{years} year{plural}")
    return ", ".join(parts)


def _talking_points(b: Briefing) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False)
    table.add_column(style="cyan", no_wrap=True)
    table.add_column(overflow="fold")
    table.add_column(style="dim", no_wrap=True)
    for fact in b.facts:
        table.add_row(said(fact.topic), written(fact.text), dates.format_day(fact.at))
    return table


def _follow_ups(b: Briefing) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    table.add_column(style="dim", no_wrap=True)
    today = dates.today()
    for todo in b.follow_ups:
        if todo.due is None:
            when = Text("no date", style="dim")
        elif todo.due < today:
            when = Text(f"{todo.due} overdue", style="bold red")
        else:
            when = Text(f"{todo.due} {dates.relative_day(todo.due)}")
        table.add_row(when, written(todo.text), short_id(todo.uuid))
    return table


def hashtags(tags: str) -> str:
    """Stored tags ("a,b") as people write them: `#a #b`."""
    return " ".join(f"#{tag}" for tag in tags.split(",") if tag)


def entry_cells(entry: Entry) -> tuple[Text, Text]:
    """What kind of entry it is, and what it says."""
    if isinstance(entry, Interaction):
        label = said(entry.kind, style=KIND_STYLE.get(entry.kind, ""))
        body = written(entry.note)
        if entry.mood is not None:
            body.append("  mood ", style="dim")
            body.append_text(score_text(entry.mood))
        if entry.tags:
            body.append_text(said("  " + hashtags(entry.tags), style="dim"))
    elif isinstance(entry, Impression):
        label = Text(f"{entry.stage} impr.", style="italic yellow")
        body = Text.assemble(score_text(entry.score), " ", written(entry.text))
    else:
        assert isinstance(entry, Fact)
        label = said(entry.topic, style="cyan")
        body = written(entry.text)
    return label, body


def timeline(
    entries: list[Entry], hidden: int = 0, met: dict[int, list[str]] | None = None
) -> Table:
    """The entries; `met` names, by interaction id, the others at a meeting."""
    table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False, expand=True)
    table.add_column(style="dim", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold", ratio=1)
    # Who wrote what matters once several people write about the same client.
    authored = len({entry.author for entry in entries}) > 1
    if authored:
        table.add_column(style="magenta", no_wrap=True, max_width=16)
    table.add_column(style="dim", no_wrap=True)
    for entry in entries:
        label, body = entry_cells(entry)
        if met and isinstance(entry, Interaction) and entry.id in met:
            body.append_text(said(f"  with {', '.join(met[entry.id])}", style="dim"))
        author = [said(entry.author or "?")] if authored else []
        table.add_row(dates.format_day(entry.at), label, body, *author, short_id(entry.uuid))
    if hidden:
        more = Text(f"… {hidden} earlier; --limit 0 shows all", style="dim")
        table.add_row("", "", more, *([""] if authored else []), "")
    return table


def _section(title: str, body: RenderableType) -> Group:
    return Group(Text(title, style="bold"), Padding(body, (0, 0, 0, 2)))


def _met(b: Briefing) -> dict[int, list[str]]:
    return {id: meeting.besides(b.client) for id, meeting in b.meetings.items()}


def briefing(b: Briefing, since: datetime | None = None) -> Group:
    parts: list[RenderableType] = [_header(b), Text()]
    panels = Table.grid(expand=True, padding=(0, 1))
    panels.add_column(ratio=1)
    panels.add_column(ratio=1)
    panels.add_row(
        _impression_panel(
            "First impression",
            b.first,
            "red" if (b.first and (b.first.score or 0) < 0) else "yellow",
        ),
        _impression_panel("Latest impression", b.latest, "green"),
    )
    parts.append(panels)
    drift = drift_text(b.first, b.latest)
    if len(b.scores) >= 2:
        spark = Text.assemble("Scores over time ", sparkline(b.scores))
        drift = Text.assemble(drift, "\n", spark) if drift is not None else spark
    if drift is not None:
        parts.append(Padding(drift, (0, 0, 0, 1)))
    if b.facts:
        parts += [Text(), _section("Talking points", _talking_points(b))]
    if b.follow_ups:
        parts += [Text(), _section("Open follow-ups", _follow_ups(b))]
    parts += [Text(), _section("Timeline, newest first", timeline(b.timeline, b.hidden, _met(b)))]
    if not b.timeline:
        empty = (
            f"nothing since {dates.format_day(since)}"
            if since is not None
            else 'nothing recorded yet: rapport log NAME "what happened"'
        )
        parts.append(Padding(Text(empty, style="dim"), (0, 0, 0, 2)))
    return Group(*parts)


def clients_table(rows: list[ClientRow]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, header_style="bold")
    table.add_column("Client", overflow="fold")
    table.add_column("Last contact", no_wrap=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Impression", no_wrap=True)
    table.add_column("Next contact", no_wrap=True)
    for row in rows:
        last = Text("never", style="dim")
        if row.last_contact is not None:
            last = said(f"{dates.relative_day(row.last_contact)}, {row.last_kind}")
        trend = Text()
        if row.first_score is not None or row.latest_score is not None:
            trend = Text.assemble(score_text(row.first_score), " → ", score_text(row.latest_score))
        if len(row.scores) > 1:
            trend.append(" ")
            trend.append_text(sparkline(row.scores))
        due = Text("")
        if row.overdue_days is not None:
            due = (
                Text(f"overdue {row.overdue_days}d", style="bold red")
                if row.overdue_days > 0
                else Text(f"in {-row.overdue_days}d", style="dim")
            )
        who = said(row.client.name, style="bold")
        if row.client.company:
            who.append("\n")
            who.append_text(said(row.client.company, style="dim"))
        table.add_row(who, last, str(row.interaction_count), trend, due)
    return table


@contextmanager
def progress_reader(stream: IO[bytes], total: int, description: str) -> Iterator[IO[bytes]]:
    """`stream`, read through a progress bar on stderr."""
    from rich.progress import Progress

    with (
        Progress(console=Console(stderr=True), transient=True) as progress,
        progress.wrap_file(stream, total=total, description=description) as wrapped,
    ):
        yield wrapped  # type: ignore[misc]


# -- insight views ----------------------------------------------------------------------------

SPARKS = "▁▂▄▆█"  # scores -2 … +2


def sparkline(scores: list[int]) -> Text:
    """Impression scores over time, one bar each: ▁ wary … █ warm."""
    line = Text()
    for score in scores:
        line.append(
            SPARKS[score + 2], style="red" if score < 0 else "green" if score > 0 else "yellow"
        )
    return line


def highlighted(snippet: str) -> Text:
    """A search snippet with the matched words in bold; the markers come from search/kinds.py."""
    from rapport.search import MARK_END, MARK_START

    line = Text()
    for index, part in enumerate(snippet.replace(MARK_END, MARK_START).split(MARK_START)):
        flat = re.sub(r"[ \t\r\n]+", " ", part)  # a snippet is one line; other controls show
        line.append_text(said(flat, style="bold yellow" if index % 2 else ""))
    return line


def search_results(query: str, hits: list[Hit], scope: str = "") -> RenderableType:
    if not hits:
        return said(f"Nothing found for {query!r}{scope}.", style="dim")
    table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False, expand=True)
    table.add_column(style="dim", no_wrap=True)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold", ratio=1)
    table.add_column(style="dim", no_wrap=True)
    for hit in hits:
        who = said(hit.client)
        if hit.archived:
            who.append(" (archived)", style="dim")
        table.add_row(
            dates.format_day(hit.at), who, said(hit.label, style="cyan"),
            highlighted(hit.snippet), short_id(hit.uuid),
        )  # fmt: skip
    return table


def due_view(report: Due) -> RenderableType:
    today = dates.today()
    parts: list[RenderableType] = []
    if report.follow_ups:
        table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False)
        table.add_column(no_wrap=True)
        table.add_column(style="bold", no_wrap=True)
        table.add_column(overflow="fold")
        table.add_column(style="dim", no_wrap=True)
        for item in report.follow_ups:
            due = item.follow_up.due
            assert due is not None
            if due < today:
                when = Text(f"{due} {item.overdue_days}d overdue", style="bold red")
            else:
                when = Text(f"{due} {dates.relative_day(due)}")
            table.add_row(
                when,
                said(item.client.name),
                written(item.follow_up.text),
                short_id(item.follow_up.uuid),
            )
        parts.append(_section("Follow-ups", table))
    if report.clients:
        table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False)
        table.add_column(style="bold", no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column(style="dim")
        for row in report.clients:
            days = row.overdue_days or 0
            state = (
                Text(f"{days} days overdue", style="bold red") if days > 0
                else Text("due today", style="yellow") if days == 0
                else Text(f"due in {-days} days")
            )  # fmt: skip
            last = (
                f"last: {dates.relative_day(row.last_contact)}, {row.last_kind}"
                if row.last_contact
                else ""
            )
            table.add_row(
                said(row.client.name), state, said(f"every {row.client.cadence_days} days; {last}")
            )
        parts.append(_section("Keep in touch", table))
    if report.never_contacted:
        names = Text(", ").join(said(row.client.name) for row in report.never_contacted)
        parts.append(_section("Never contacted", names))
    if report.no_first_impression:
        parts.append(_section("No first impression yet", _no_first_table(report)))
    if report.dates:
        parts.append(_section("Coming up", _coming_up_table(report)))
    if not parts:
        return Text(
            f"Nothing due until {report.horizon}. Time to call someone anyway?", style="green"
        )
    spaced: list[RenderableType] = []
    for part in parts:
        spaced += [part, Text()]
    return Group(*spaced[:-1])


def _no_first_table(report: Due) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(style="dim")
    for row in report.no_first_impression:
        assert row.last_contact is not None
        last = f"last contact {dates.relative_day(row.last_contact)}, {row.last_kind}"
        table.add_row(said(row.client.name), said(last))
    return table


def _coming_up_table(report: Due) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    today = dates.today()
    for item in report.dates:
        table.add_row(said(item.client.name), said(coming_text(item.date, today)))
    return table


def _short(text: str, width: int = 60) -> Text:
    flat = re.sub(r"[ \t\r\n]+", " ", text).strip()
    return said(flat if len(flat) <= width else flat[: width - 1].rstrip() + "…")


def _impression_cell(impression: Impression) -> Text:
    return Text.assemble(
        score_text(impression.score), " ", (dates.format_day(impression.at), "dim"), "\n",
        _short(impression.text),
    )  # fmt: skip


def not_compared_text(report: DriftReport) -> str | None:
    """`Not compared: 3 without a first impression, 2 without a later one, 1 unscored`;
    None when no client was left out."""
    counts = report.not_compared
    parts = [f"{n} {why}" for n, why in (
        (counts.no_first, "without a first impression"),
        (counts.no_later, "without a later one"),
        (counts.unscored, "unscored"),
    ) if n]  # fmt: skip
    return "Not compared: " + ", ".join(parts) if parts else None


def drift_view(report: DriftReport) -> RenderableType:
    missing = not_compared_text(report)
    if not report.rows:
        empty = Text("No client has two impressions yet: rapport impression NAME \"…\" --score N",
                     style="dim")  # fmt: skip
        return Group(empty, Text(missing, style="dim")) if missing else empty
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, header_style="bold", expand=True)
    table.add_column("Client", no_wrap=True, style="bold")
    table.add_column("First impression", ratio=1, overflow="fold")
    table.add_column("Latest", ratio=1, overflow="fold")
    table.add_column("Moved", no_wrap=True, justify="right")
    for row in report.rows:
        change = row.change
        if change is None:
            moved = Text("·", style="dim")
        else:
            arrow, style = (
                ("▲", "green") if change > 0 else ("▼", "red") if change < 0 else ("=", "yellow")
            )
            moved = Text(f"{arrow} {change:+d}" if change else "= 0", style=f"bold {style}")
            moved.append("\n" + "█" * abs(change), style=style)
        table.add_row(
            said(row.client.name), _impression_cell(row.first), _impression_cell(row.latest), moved
        )
    summary = Text()
    if report.scored:
        summary.append(f"For {report.deceived} of {report.scored} clients ", style="bold")
        summary.append("the first impression was off by two points or more.", style="bold")
        if report.deceived:
            summary.append(" First impressions deceive; keep writing them down.")
    if missing:
        return Group(table, summary, Text(missing, style="dim"))
    return Group(table, summary)


def _bars(items: list[tuple[str, int]], width: int = 40, style: str = "cyan") -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False)
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(no_wrap=True)
    peak = max((count for _, count in items), default=0) or 1
    for label, count in items:
        table.add_row(said(label), str(count), Text("█" * round(count / peak * width), style=style))
    return table


def stats_view(s: Stats) -> RenderableType:
    days = s.average_gap_days
    gap = "n/a" if days is None else f"{days:g} day" if days == 1 else f"{days:g} days"
    totals = Text(" · ").join(
        Text.assemble((str(count), "bold"), f" {noun}" if count == 1 else f" {noun}s")
        for count, noun in (
            (s.clients, "client"), (s.interactions, "contact"), (s.impressions, "impression"),
            (s.facts, "fact"), (s.open_follow_ups, "open follow-up"),
        )
    )  # fmt: skip
    totals.append_text(Text.assemble(" · average ", (gap, "bold"), " between contacts"))
    parts: list[RenderableType] = [totals]
    for title, items, width, style in (
        ("Contacts per month", s.months, 40, "cyan"),
        ("Kinds", s.kinds, 30, "magenta"),
        ("Most contacted", [(c.label, c.interactions) for c in s.most], 30, "green"),
        ("Least contacted", [(c.label, c.interactions) for c in s.least], 30, "red"),
    ):
        if items:
            parts += [Text(), _section(title, _bars(items, width=width, style=style))]
    return Group(*parts)
