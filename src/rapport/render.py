"""Every Rich layout rapport prints. User text always goes in as `Text`, never as markup,
so a note that says `[red]` prints `[red]`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import IO, TYPE_CHECKING

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from rapport import dates
from rapport.models import Fact, Impression, Interaction
from rapport.records import short_id

if TYPE_CHECKING:
    from rapport.journal import Briefing, ClientRow, Entry

KIND_STYLE = {
    "call": "cyan",
    "meeting": "blue",
    "lunch": "magenta",
    "email": "bright_black",
    "message": "bright_black",
    "event": "yellow",
    "note": "white",
}


def score_text(score: int | None) -> Text:
    if score is None:
        return Text("·", style="dim")
    style = "red" if score < 0 else "green" if score > 0 else "yellow"
    return Text(f"{score:+d}" if score else "0", style=f"bold {style}")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def last_contact_text(last: Interaction | None) -> Text:
    line = Text()
    if last is None:
        line.append("Never contacted", style="bold")
    else:
        line.append(f"Last contact {dates.relative_day(last.at)}", style="bold")
        line.append(f", {last.kind} ({dates.format_day(last.at)})")
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
        body = Text(impression.text)
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
    title = Text(c.name, style="bold underline")
    about = ", ".join(part for part in (c.role, c.company) if part)
    if about:
        title.append("  ")
        title.append(about, style="bold")
    contact = " · ".join(part for part in (c.email, c.phone) if part)
    lines: list[RenderableType] = [title]
    if contact or c.tags:
        extra = Text(contact, style="dim")
        if c.tags:
            extra.append(
                ("  " if contact else "") + "#" + " #".join(c.tags.split(",")), style="cyan"
            )
        lines.append(extra)
    contacts = Text(f" · {b.interaction_count} contact{'s' if b.interaction_count != 1 else ''}")
    lines.append(last_contact_text(b.last_contact) + contacts)
    cadence = cadence_text(b.overdue_days, c.cadence_days)
    if cadence is not None:
        lines.append(cadence)
    return Group(*lines)


def _talking_points(b: Briefing) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False)
    table.add_column(style="cyan", no_wrap=True)
    table.add_column(overflow="fold")
    table.add_column(style="dim", no_wrap=True)
    for fact in b.facts:
        table.add_row(fact.topic, Text(fact.text), dates.format_day(fact.at))
    return table


def _follow_ups(b: Briefing) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    today = dates.today()
    for todo in b.follow_ups:
        if todo.due is None:
            when = Text("no date", style="dim")
        elif todo.due < today:
            when = Text(f"{todo.due} overdue", style="bold red")
        else:
            when = Text(f"{todo.due} {dates.relative_day(todo.due)}")
        table.add_row(when, Text(todo.text))
    return table


def entry_cells(entry: Entry) -> tuple[Text, Text]:
    """What kind of entry it is, and what it says."""
    if isinstance(entry, Interaction):
        label = Text(entry.kind, style=KIND_STYLE.get(entry.kind, ""))
        body = Text(entry.note)
        if entry.mood is not None:
            body.append("  mood ", style="dim")
            body.append_text(score_text(entry.mood))
    elif isinstance(entry, Impression):
        label = Text(f"{entry.stage} impr.", style="italic yellow")
        body = Text.assemble(score_text(entry.score), " ", entry.text)
    else:
        assert isinstance(entry, Fact)
        label = Text(entry.topic, style="cyan")
        body = Text(entry.text)
    return label, body


def timeline(entries: list[Entry], hidden: int = 0) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False, expand=True)
    table.add_column(style="dim", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold", ratio=1)
    table.add_column(style="dim", no_wrap=True)
    for entry in entries:
        label, body = entry_cells(entry)
        table.add_row(dates.format_day(entry.at), label, body, short_id(entry.uuid))
    if hidden:
        more = Text(f"… {hidden} earlier; --limit 0 shows all", style="dim")
        table.add_row("", "", more, "")
    return table


def _section(title: str, body: RenderableType) -> Group:
    return Group(Text(title, style="bold"), Padding(body, (0, 0, 0, 2)))


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
    if drift is not None:
        parts.append(Padding(drift, (0, 0, 0, 1)))
    if b.facts:
        parts += [Text(), _section("Talking points", _talking_points(b))]
    if b.follow_ups:
        parts += [Text(), _section("Open follow-ups", _follow_ups(b))]
    parts += [Text(), _section("Timeline, newest first", timeline(b.timeline, b.hidden))]
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
            last = Text(f"{dates.relative_day(row.last_contact)}, {row.last_kind}")
        trend = Text()
        if row.first_score is not None or row.latest_score is not None:
            trend = Text.assemble(score_text(row.first_score), " → ", score_text(row.latest_score))
        due = Text("")
        if row.overdue_days is not None:
            due = (
                Text(f"overdue {row.overdue_days}d", style="bold red")
                if row.overdue_days > 0
                else Text(f"in {-row.overdue_days}d", style="dim")
            )
        who = Text(row.client.name, style="bold")
        if row.client.company:
            who.append(f"\n{row.client.company}", style="dim")
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
