"""The command line: parse, call the journal, hand the result to render. No SQL, no layout.

Imports of the database layer, Rich and the date parser happen inside the commands, so that
`--help`, `--version` and a mistyped option answer without loading them.
"""

from __future__ import annotations

import gc
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

# Typer vendors Click; its exceptions live here.
from typer._click.exceptions import ClickException, NoArgsIsHelpError
from typer.core import TyperArgument, TyperCommand, TyperGroup

from rapport import __version__
from rapport.display import json_escaped, visible
from rapport.errors import (
    BadInput,
    Interrupted,
    NoJournal,
    RapportError,
    ReaderGone,
    UnknownClient,
)

if TYPE_CHECKING:
    from datetime import datetime

    from rich.console import Console

    from rapport.clients import FirstImpression
    from rapport.corrections import ClientChanges
    from rapport.store.contract import Journal

DEBUG_VAR = "RAPPORT_DEBUG"
TIMELINE_ON_SCREEN = 10  # entries: with the briefing above them, about one screen
PROGRESS_FROM_BYTES = 1 << 20  # smaller imports finish before a bar would help


class RapportGroup(TyperGroup):
    """Turns every failure into one line on stderr and an exit code, in one place."""

    def main(
        self,
        args: Sequence[str] | None = None,
        *rest: Any,
        standalone_mode: bool = True,
        **kwargs: Any,
    ) -> Any:
        kwargs.setdefault("prog_name", "rapport")
        try:
            _check_utf8(sys.argv[1:] if args is None else args)
            result = super().main(args, *rest, standalone_mode=False, **kwargs)
            code = result if isinstance(result, int) else 0
        except ReaderGone as gone:
            code = gone.exit_code  # `| head` has what it wanted: nothing to say
        except RapportError as error:
            code = _fail(str(error), error.exit_code)
        except typer.Abort:
            code = _fail("aborted; nothing written", 1)
        except NoArgsIsHelpError as error:
            typer.echo(error.format_message(), err=True)  # the help itself, as it is
            code = error.exit_code
        except ClickException as error:
            # Typer's own usage errors (unknown option, missing argument): exit 2.
            ctx = getattr(error, "ctx", None)
            hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            code = _fail(f"{error.format_message()}{hint}", error.exit_code)
        except Exception as error:
            if os.environ.get(DEBUG_VAR):
                raise
            code = _fail(
                f"unexpected {type(error).__name__}: {error} (set {DEBUG_VAR}=1 for the traceback)",
                1,
            )
        if standalone_mode:
            sys.exit(code)
        return code


class RapportCommand(TyperCommand):
    """Help that names each value with a word (NAME, DATE, N), as Click's own help does.

    Typer 0.29 writes the Python type instead (`<str>`, `<list[str]>`) and wraps required
    arguments in braces (`{client}`). Options name their values with metavar=; arguments
    are named here, by their metavar or their name in capitals.
    """

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                word = _argument_word(param)
                pieces.append(word if param.required else f"[{word}]")
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if isinstance(param, TyperArgument):
                arguments.append((_argument_word(param), record[1]))
            else:
                options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def _argument_word(argument: TyperArgument) -> str:
    word = argument.metavar or (argument.name or "value").upper()
    return word if argument.nargs == 1 else f"{word}..."


class RapportTyper(typer.Typer):
    """A Typer whose commands are RapportCommands unless they say otherwise."""

    def command(self, *args: Any, cls: type[TyperCommand] | None = None, **kwargs: Any) -> Any:
        return super().command(*args, cls=cls or RapportCommand, **kwargs)


def _fail(message: str, code: int) -> int:
    if os.environ.get(DEBUG_VAR) and sys.exc_info()[0] is not None:
        import traceback

        traceback.print_exc()
    _say(f"rapport: {message}")
    return code


def _check_utf8(args: Sequence[str]) -> None:
    """An argument or setting that is not UTF-8 is bad input, as a note on stdin is.

    Python hands such bytes over as lone surrogates, which would fail only when written.
    """
    given = [("the argument", arg) for arg in args]
    given += [(name, value) for name, value in os.environ.items() if name.startswith("RAPPORT_")]
    for what, text in given:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            raise BadInput(f"{what} '{shown}' is not UTF-8; nothing written") from None


app = RapportTyper(
    cls=RapportGroup,
    name="rapport",
    help="A relationship journal: write down first impressions, log every contact, "
    "and get a one-screen briefing before you meet someone.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=True,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"rapport {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="FILE|URL",
            help="Journal file, or a postgresql://user@host/database URL for a team journal "
            "[default: $RAPPORT_DB, else your data folder].",
        ),
    ] = None,
    author: Annotated[
        str | None,
        typer.Option(
            "--author",
            metavar="NAME",
            help="Who writes [default: $RAPPORT_AUTHOR, else your login].",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    ctx.obj = db
    ctx.meta["rapport.author"] = author


# -- helpers ------------------------------------------------------------------------------


def _open(ctx: typer.Context) -> Journal:
    from rapport.names import current_author
    from rapport.store import open_journal

    author = current_author(ctx.meta.get("rapport.author"))
    db = open_journal(ctx.obj, warn=_say, author=author)
    return db


def _out(*, record: bool = False) -> Console:
    from rapport.render import console

    return console(record=record)


def _pictures(svg: Path | None, html: Path | None, as_json: bool) -> None:
    """Check --svg / --html before anything is printed, so a bad path fails first.

    Nothing is created or truncated here: the pictures are written once the view is.
    """
    from rapport.files import check_writable

    if (svg or html) and as_json:
        raise BadInput("--svg and --html save the terminal view; leave out --json")
    for path in (svg, html):
        if path is not None:
            check_writable(path)


def _view(renderable: Any, svg: Path | None, html: Path | None, title: str) -> None:
    """Print a Rich view; with --svg / --html, save exactly what was printed as well."""
    console = _out(record=bool(svg or html))
    console.print(renderable)
    if svg is not None:
        _save(svg, console.export_svg(title=title, clear=False))
    if html is not None:
        _save(html, console.export_html(clear=False))


def _save(path: Path, text: str) -> None:
    from rapport.files import writing

    with writing(path) as out:
        out.write(text.encode("utf-8"))
    _say(f"Saved {path}")


def _say(message: str) -> None:
    """A message for the person, not for a pipe: stderr, user text in it shown safely. One
    that cannot be written is dropped (the standard streams see to that): the work it reports
    is done."""
    if sys.stderr is not None:
        sys.stderr.write(visible(message, layout=True) + "\n")
        sys.stderr.flush()


def _print_json(data: object) -> None:
    """JSON is UTF-8 whatever the terminal's encoding, as exports are."""
    import json

    text = json_escaped(json.dumps(data, ensure_ascii=False, indent=2)) + "\n"
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8"))


def _when(text: str | None) -> datetime | None:
    """`--at`: one moment. An empty value is an error, as for every date option."""
    if text is None:
        return None
    from rapport import dates

    return dates.parse_when(text)


def _since(text: str | None) -> datetime | None:
    """`--since`: a day without a time starts at midnight, a month (2026-11) on its first day."""
    if text is None:
        return None
    from rapport import dates

    return dates.parse_since(text)


def _complete_client(ctx: typer.Context, incomplete: str) -> list[str]:
    """Client names for shell completion, read from the journal the command line names;
    archived clients are left out (they still resolve when typed)."""
    return _complete_name(ctx, incomplete, archived=False)


def _complete_archived(ctx: typer.Context, incomplete: str) -> list[str]:
    """The archived clients' names, for `unarchive`."""
    return _complete_name(ctx, incomplete, archived=True)


def _complete_name(ctx: typer.Context, incomplete: str, *, archived: bool) -> list[str]:
    from rapport import clients, names

    everyone = _reading(ctx, lambda conn: clients.candidates(conn, archived=archived)) or []
    # Typer keeps only values that start with what was typed, letter for letter; names
    # resolve forgivingly anyway, so "jo" may complete to "jo Müller" for "Jö Müller".
    wanted = names.fold(incomplete)
    return sorted(
        incomplete + c.name[len(incomplete) :]
        for c in everyone
        if names.fold(c.name[: len(incomplete)]) == wanted
    )


def _reading(ctx: typer.Context, read: Callable[[Any], Any]) -> Any:
    """What `read(conn)` finds in the journal the command line names, for completion; None
    when there is no journal or it cannot be read (completion then offers nothing)."""
    from rapport.store import open_journal

    try:
        db = open_journal(ctx.find_root().params.get("db"))
        with db.connection() as conn:
            return read(conn)
    except RapportError:
        return None


def _complete_tag(ctx: typer.Context, incomplete: str) -> list[str]:
    """The tags in the journal, on clients and on entries, for `--tag`."""
    from rapport import clients

    # As names are: what was typed, completed (Typer keeps only what starts with it).
    wanted = incomplete.lower()
    tags = _reading(ctx, clients.journal_tags) or []
    return [incomplete + tag[len(incomplete) :] for tag in tags if tag.startswith(wanted)]


# Shared option declarations, so every command spells them the same way.
AtOption = Annotated[
    str | None,
    typer.Option(
        "--at", metavar="DATE", help="When it happened: ISO 8601 or 'yesterday 15:00', 'gestern'."
    ),
]
FutureOption = Annotated[
    bool, typer.Option("--future", help="Allow a date in the future (a planned contact).")
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON instead (fields: docs/export-format.md).")
]
SvgOption = Annotated[
    Path | None,
    typer.Option("--svg", metavar="FILE", help="Also save what is shown as an SVG picture."),
]
HtmlOption = Annotated[
    Path | None,
    typer.Option("--html", metavar="FILE", help="Also save what is shown as an HTML page."),
]
TagOption = Annotated[
    list[str] | None,
    typer.Option(
        "--tag",
        "-t",
        metavar="TAG",
        help="A tag; repeat for several.",
        autocompletion=_complete_tag,
    ),
]

EmailOption = Annotated[
    list[str] | None,
    typer.Option(
        "--email", metavar="[LABEL:]ADDRESS", help="An e-mail (work:anna@…); repeat for several."
    ),
]
PhoneOption = Annotated[
    list[str] | None,
    typer.Option(
        "--phone", metavar="[LABEL:]NUMBER", help="A phone (mobile:+49 170 …); repeat for several."
    ),
]
BirthdayOption = Annotated[
    str | None,
    typer.Option("--birthday", metavar="DAY", help="1970-04-02, or 04-02 without the year."),
]
DateOption = Annotated[
    list[str] | None,
    typer.Option(
        "--date", metavar="LABEL:DAY", help="A yearly date: 'work anniversary:2015-06-01'."
    ),
]
MetOption = Annotated[str | None, typer.Option("--met", metavar="TEXT", help="How you met.")]

# -- commands -----------------------------------------------------------------------------


@app.command()
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The person's name.")],
    company: Annotated[
        str | None, typer.Option("--company", "-c", metavar="COMPANY", help="Where they work.")
    ] = None,
    role: Annotated[
        str | None, typer.Option("--role", "-r", metavar="ROLE", help="What they do there.")
    ] = None,
    email: EmailOption = None,
    phone: PhoneOption = None,
    tag: TagOption = None,
    every: Annotated[
        str | None,
        typer.Option("--every", metavar="PERIOD", help="Keep in touch every 30d, 2w, 3m, 1y."),
    ] = None,
    birthday: BirthdayOption = None,
    date: DateOption = None,
    met: MetOption = None,
    impression: Annotated[
        str | None,
        typer.Option(
            "--impression",
            metavar="TEXT",
            help="Your first impression of them (asked for at a terminal when left out).",
        ),
    ] = None,
    score: Annotated[
        int | None,
        typer.Option("--score", "-s", metavar="N", help="The first impression's score, -2 to +2."),
    ] = None,
) -> None:
    """Add a client, and your first impression of them.

    Example: rapport add "Konrad Brandt" --company "Brandt & Vogel" --role CEO --every 3w
    --email work:k.brandt@brandt-vogel.example --birthday 1969-04-02
    """
    from rapport import clients, dates
    from rapport.names import label
    from rapport.rows import short_id

    first = clients.first_impression(impression, score)
    cadence = dates.parse_cadence(every) if every else None
    client = clients.add_client(
        _open(ctx),
        name,
        company=company,
        role=role,
        emails=email or (),
        phones=phone or (),
        tags=tag,
        cadence_days=cadence,
        birthday=birthday,
        yearly_dates=date or (),
        met=met,
        first=first,
        ask=_ask_first if _asking() and (first is None or first.score is None) else None,
    )
    _say(f"Added {label(client.name, client.company)}  [{short_id(client.uuid)}]")


# -- questions at a terminal ----------------------------------------------------------------


def _asking() -> bool:
    """Whether rapport may ask: a person at a terminal. Scripts are never asked."""
    return sys.stdin is not None and sys.stdin.isatty()


def _ask_first(name: str, given: FirstImpression | None = None) -> FirstImpression | None:
    """A new client's first impression and its score, or what the options left out of it."""
    from rapport.checks import check_text
    from rapport.clients import FirstImpression

    text = given.text if given is not None else None
    while text is None:
        answer = typer.prompt(f"First impression of {name} (Enter skips)", default="",
                              show_default=False, err=True)  # fmt: skip
        if not answer.strip():
            return None
        try:
            text = check_text(answer, "impression")
        except BadInput as error:
            _say(f"rapport: {error}")
    return FirstImpression(text, _ask_score())


def _ask_score() -> int | None:
    """A score from -2 to +2, asked until one is given or Enter skips it."""
    from rapport.checks import SCORE_RANGE

    while True:
        answer = typer.prompt("Score, -2 to +2 (Enter skips)", default="", show_default=False,
                              err=True).strip()  # fmt: skip
        if not answer:
            return None
        with suppress(ValueError):
            if int(answer) in SCORE_RANGE:
                return int(answer)
        _say(f"rapport: {answer!r} is not a score: -2, -1, 0, +1 or +2 (Enter skips)")


def _read_note(note: str | None, heading: str, what: str = "note") -> str:
    """The text: the argument, else piped stdin (or `-`), else the user's editor."""
    if note is not None and note != "-":
        return note
    if note == "-" or not sys.stdin.isatty():
        data = typer.get_binary_stream("stdin").read()
        try:
            # Notepad and PowerShell start UTF-8 with a byte-order mark; it is not text. Their
            # CRLF line ends become the \n that an argument or the editor gives.
            text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
        except UnicodeDecodeError as error:
            raise BadInput(
                f"the {what} on stdin is not UTF-8 (byte {error.start}); nothing written"
            ) from None
        return text.replace("\r\n", "\n")
    from rapport.editor import note_from_editor

    return note_from_editor(heading)


def _unknown_client(db: Journal, name: str) -> UnknownClient | None:
    """Why `name` finds nobody, or None when it finds one client."""
    from rapport import clients

    try:
        clients.lookup(db, name)
    except UnknownClient as error:
        return error
    except NoJournal:
        return _empty_journal(name)
    return None


def _new_name(name: str) -> str:
    """The name a client created from `name` gets; a bad one fails before any question."""
    from rapport.checks import client_fields

    return str(client_fields(name)["name"])


def _empty_journal(name: str) -> UnknownClient:
    return UnknownClient(f"no client matches {name!r}: the journal is empty (--create adds)")


@app.command()
def log(
    ctx: typer.Context,
    client: Annotated[
        str,
        typer.Argument(
            help="Who: any unique part of the name or company.", autocompletion=_complete_client
        ),
    ],
    note: Annotated[
        str | None,
        typer.Argument(help="What happened. Omit to read stdin, or to open $EDITOR."),
    ] = None,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            "-k",
            metavar="KIND",
            help="call, meeting, lunch, email, message, event, note.",
        ),
    ] = "note",
    at: AtOption = None,
    mood: Annotated[
        int | None, typer.Option("--mood", "-m", metavar="N", help="How it went, -2 to +2.")
    ] = None,
    tag: TagOption = None,
    follow_up: Annotated[
        str | None,
        typer.Option("--follow-up", "-f", metavar="TEXT", help="Something you promised to do."),
    ] = None,
    due: Annotated[
        str | None,
        typer.Option(
            "--due", metavar="DATE", help="When the follow-up is due: 'friday', 2026-12-01."
        ),
    ] = None,
    create: Annotated[
        bool, typer.Option("--create", help="Create the client if nobody matches.")
    ] = False,
    future: FutureOption = False,
    with_: Annotated[
        list[str] | None,
        typer.Option(
            "--with",
            "-w",
            metavar="CLIENT",
            help="Another client who was there; repeat for each.",
            autocompletion=_complete_client,
        ),
    ] = None,
) -> None:
    """Record a contact, right after it happened.

    Example: rapport log brandt "Lunch; he told me about his sailing trip" --kind lunch

    Example: rapport log brandt "Workshop on the Q1 plan" --with "Jana Müller" --with demir
    """
    from rapport import clients, dates

    when = _when(at)
    due_day = dates.parse_day(due) if due is not None else None
    db = _open(ctx)
    # At a terminal, ask before the editor opens; in a script, clients.log finds the client
    # once, inside its transaction, and reports an unknown one itself.
    if with_ and _asking() and note != "-":
        for other in with_:  # before any question or the editor: answers given in vain
            if (unknown := _unknown_client(db, other)) is not None:
                raise unknown
    first = None
    if _asking() and note != "-":
        unknown = _unknown_client(db, client)
        if unknown is not None:
            if not create:
                create = typer.confirm(
                    f"No client matches {client!r}. Add {client!r} as a new client?",
                    default=False,
                    err=True,
                )
                if not create:
                    raise unknown
            first = _ask_first(_new_name(client))
    text = _read_note(note, f"Note about {client}")
    try:
        logged = clients.log(
            db,
            client,
            text,
            kind=kind,
            at=when,
            mood=mood,
            tags=tag,
            follow_up=follow_up,
            due=due_day,
            create=create,
            allow_future=future,
            others=with_,
            first=first,
        )
    except NoJournal:
        raise _empty_journal(client) from None
    from rapport.reports import spoken_list
    from rapport.rows import short_id

    if logged.created_client:
        _say(f"Added {logged.client.name}")
    everyone = spoken_list([c.name for c in (logged.client, *logged.others)])
    _say(
        f"Logged {logged.interaction.kind} with {everyone}, "
        f"{dates.format_moment(logged.interaction.at)}  [{short_id(logged.interaction.uuid)}]"
    )
    for person in (logged.client, *logged.others):
        if person.archived:  # a contact does not undo a decision to archive: say so only
            _say(f"{person.name} is archived: logged all the same (unarchive brings them back)")
    if logged.follow_up is not None:
        due_text = f", due {logged.follow_up.due}" if logged.follow_up.due else ""
        _say(f"Follow-up: {logged.follow_up.text}{due_text}")


@app.command()
def impression(
    ctx: typer.Context,
    client: Annotated[str, typer.Argument(help="Who.", autocompletion=_complete_client)],
    text: Annotated[
        str | None,
        typer.Argument(help="How you see them now. Omit to read stdin, or to open $EDITOR."),
    ] = None,
    score: Annotated[
        int | None, typer.Option("--score", "-s", metavar="N", help="-2 (wary) to +2 (warm).")
    ] = None,
    at: AtOption = None,
    first: Annotated[
        bool, typer.Option("--first", help="This is your first impression of them.")
    ] = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="With --first: overwrite the recorded one.")
    ] = False,
    future: FutureOption = False,
) -> None:
    """Record how you see someone: the first impression, or a later one.

    The first impression recorded for a client is its first; later ones are compared to it.

    Example: rapport impression brandt "Restless, seemed to want the upper hand" --score -2
    """
    from rapport import clients
    from rapport.rows import short_id

    db = _open(ctx)
    piped = text == "-"
    text = _text_of(db, client, text, f"Impression of {client}", "impression")
    if score is None and _asking() and not piped:
        clients.lookup(db, client)  # an unknown client fails before the question
        score = _ask_score()
    recorded = clients.add_impression(
        db,
        client,
        text,
        score=score,
        at=_when(at),
        first=first,
        replace=replace,
        allow_future=future,
    )
    verb = "Replaced the first" if recorded.replaced else f"Recorded a {recorded.impression.stage}"
    _say(f"{verb} impression of {recorded.client.name}  [{short_id(recorded.impression.uuid)}]")


def _text_of(db: Journal, client: str, text: str | None, heading: str, what: str) -> str:
    """The text as `log` reads its note; before an editor opens, the client must be found."""
    if text is None and sys.stdin.isatty():
        from rapport import clients

        clients.lookup(db, client)  # fails as the command would: no one, or several
    return _read_note(text, heading, what)


@app.command()
def fact(
    ctx: typer.Context,
    client: Annotated[str, typer.Argument(help="Who.", autocompletion=_complete_client)],
    text: Annotated[
        str | None,
        typer.Argument(
            help="What you learned about them as a person. Omit to read stdin, or to open $EDITOR."
        ),
    ] = None,
    topic: Annotated[
        str,
        typer.Option(
            "--topic",
            metavar="TOPIC",
            help="family, hobby, interest, challenge, preference, birthday, other.",
        ),
    ] = "other",
    at: AtOption = None,
    future: FutureOption = False,
) -> None:
    """Record a personal detail: a talking point for the next meeting.

    Example: rapport fact brandt "Sails a folkboat on the Baltic" --topic hobby
    """
    from rapport import clients
    from rapport.rows import short_id

    db = _open(ctx)
    text = _text_of(db, client, text, f"Fact about {client}", "fact")
    client_row, row = clients.add_fact(
        db, client, text, topic=topic, at=_when(at), allow_future=future
    )
    detail = {"other": "a detail", "interest": "an interest detail"}.get(
        row.topic, f"a {row.topic} detail"
    )
    _say(f"Noted {detail} about {client_row.name}  [{short_id(row.uuid)}]")


@app.command()
def show(
    ctx: typer.Context,
    client: Annotated[
        str,
        typer.Argument(
            help="Who: any unique part of the name or company.", autocompletion=_complete_client
        ),
    ],
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            "-n",
            metavar="N",
            help="Timeline entries to show; 0 for all [default: 10; JSON: all].",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="DATE", help="Only the timeline since: '3 months ago'."),
    ] = None,
    as_json: JsonOption = False,
    svg: SvgOption = None,
    html: HtmlOption = None,
) -> None:
    """The briefing before you meet someone: impressions, talking points, timeline.

    Example: rapport show brandt --since "last month"
    """
    from rapport import briefing

    _pictures(svg, html, as_json)
    if limit is None:
        limit = 0 if as_json else TIMELINE_ON_SCREEN
    brief_since = _since(since)
    brief = briefing.briefing(_open(ctx), client, limit=limit or None, since=brief_since)
    if as_json:
        from rapport.records import briefing_json

        _print_json(briefing_json(brief))
        return
    from rapport import render

    _view(render.briefing(brief, brief_since), svg, html, f"rapport show {visible(client)}")


@app.command()
def clients(
    ctx: typer.Context,
    sort: Annotated[
        str,
        typer.Option(
            "--sort", metavar="ORDER", help="name, last (recent first), count or overdue."
        ),
    ] = "name",
    tag: Annotated[
        str | None,
        typer.Option(
            "--tag",
            "-t",
            metavar="TAG",
            help="Only clients with this tag, or with a contact logged with it.",
            autocompletion=_complete_tag,
        ),
    ] = None,
    archived: Annotated[
        bool, typer.Option("--archived", help="Only the archived clients, which are left out.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Everyone in the journal, with last contact and how your impression moved.

    Archived clients are left out; --archived lists them alone.

    Example: rapport clients --sort overdue
    """
    from rapport import clients
    from rapport.checks import check_tag

    if tag is not None:
        tag = check_tag(tag)  # an empty or malformed tag is no filter: refuse it
    db = _open(ctx)
    try:
        rows = clients.client_rows(db, sort=sort, tag=tag, archived=archived)
    except NoJournal:
        rows = []  # nobody yet; listing them should not create the file
    if as_json:
        from rapport.records import client_rows_json

        _print_json(client_rows_json(rows))
        return
    if not rows and archived:
        _say("No archived clients" + (f" with the tag {tag!r}." if tag else "."))
        return
    if not rows:
        _say(_nobody_listed(db, tag))  # a filter that finds no one is no error
        return
    from rapport import render

    _out().print(render.clients_table(rows))


def _nobody_listed(db: Journal, tag: str | None) -> str:
    """Why `clients` lists no one: say what was filtered, not that the journal is empty."""
    from rapport import clients

    try:
        hidden = clients.archived_clients(db, tag=tag)
    except NoJournal:
        hidden = 0
    archived = (
        f"{hidden} archived client, which is not listed"
        if hidden == 1
        else f"{hidden} archived clients, which are not listed"
    )
    if tag is not None:
        return f"No client has the tag {tag!r}" + (f" but {archived}." if hidden else ".")
    if hidden:
        return f"No clients to list; the journal holds {archived}."
    return 'No clients yet. Add one: rapport add "Name" --company "Company"'


@app.command()
def archive(
    ctx: typer.Context,
    client: Annotated[str, typer.Argument(help="Who.", autocompletion=_complete_client)],
) -> None:
    """Archive a client you no longer work with: out of clients, due, drift and completion,
    still in show, search and export. `unarchive` brings them back.

    Example: rapport archive brandt
    """
    from rapport import clients
    from rapport.names import label

    done = clients.set_archived(_open(ctx), client, True)
    who = done.client
    if not done.changed:
        _say(f"{who.name} is already archived")
        return
    _say(
        f"Archived {label(who.name, who.company)}: out of clients, due and drift; "
        "still in show, search and export"
    )


@app.command()
def unarchive(
    ctx: typer.Context,
    client: Annotated[str, typer.Argument(help="Who.", autocompletion=_complete_archived)],
) -> None:
    """Bring an archived client back into clients, due, drift and completion.

    Example: rapport unarchive brandt
    """
    from rapport import clients
    from rapport.names import label

    done = clients.set_archived(_open(ctx), client, False)
    who = done.client
    if not done.changed:
        _say(f"{who.name} is not archived")
        return
    _say(f"Unarchived {label(who.name, who.company)}: back in clients, due and drift")


@app.command()
def demo(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(
            help="Where to write the sample journal [default: demo.db in your data folder]."
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite PATH if it exists.")] = False,
) -> None:
    """Write a sample journal to its own file and show its story. Your journal is untouched.

    Example: rapport demo ~/rapport-demo.db --force
    """
    from rapport import briefing, render
    from rapport import demo as sample
    from rapport.names import current_author
    from rapport.store import open_journal

    target = sample.prepare(path, open_journal(ctx.obj).file, force=force)
    db = sample.write(target, current_author(ctx.meta.get("rapport.author")))
    _out().print(render.briefing(briefing.briefing(db, sample.STAR, limit=8)))
    _say(sample.next_steps(target))


@app.command()
def export(
    ctx: typer.Context,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="jsonl, json, csv, markdown, vcf (the clients as vCards), or ics (follow-ups, "
            "birthdays and contacts due, for a calendar).",
        ),
    ] = "jsonl",
    alarm: Annotated[
        str,
        typer.Option("--alarm", metavar="TIME", help="ics: the time each reminder rings, or none."),
    ] = "09:00",
    vcard: Annotated[
        str, typer.Option("--vcard", metavar="VERSION", help="vcf: 4.0, or 3.0 for older programs.")
    ] = "4.0",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write to FILE (0600) instead of stdout (- is stdout).",
        ),
    ] = None,
    client: Annotated[
        list[str] | None,
        typer.Option(
            "--client",
            "-c",
            metavar="CLIENT",
            help="Only this client; repeat for several.",
            autocompletion=_complete_client,
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", metavar="DATE", help="Entries from this time on.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", metavar="DATE", help="Entries up to this time.")
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", "-k", metavar="KIND", help="Only interactions of this kind."),
    ] = None,
    record_type: Annotated[
        list[str] | None,
        typer.Option(
            "--type",
            "-t",
            metavar="TYPE",
            help="client, interaction, impression, fact, follow-up.",
        ),
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(
            "--tag",
            metavar="TAG",
            help="Only interactions with this tag (repeat: all of several), their follow-ups "
            "and clients; impressions and facts have no tags and are left out.",
            autocompletion=_complete_tag,
        ),
    ] = None,
    raw: Annotated[
        bool, typer.Option("--raw", help="CSV: leave cells starting with = + - @ as written.")
    ] = False,
) -> None:
    """Write the journal for scripts, spreadsheets or print (format: docs/export-format.md).

    Example: rapport export --client brandt --format markdown --output brandt.md
    """
    from rapport import clients, dates, exporting, formats

    fmt = fmt.lower()
    if fmt not in formats.EXPORT_FORMATS:
        raise BadInput(f"unknown format {fmt!r}; choose one of {', '.join(formats.EXPORT_FORMATS)}")
    if fmt == "vcf":
        _vcard_options(vcard, since=since, until=until, kind=kind, type=record_type)
        record_type = ["client"]
    if fmt == "ics":
        from rapport import agenda

        ring = agenda.alarm(alarm)
        _not_for(fmt, "writes reminders", since=since, until=until, kind=kind, type=record_type,
                 tag=tag)  # fmt: skip
    filters = exporting.Filters(
        clients=client or [],
        since=_since(since),
        until=dates.parse_until(until) if until is not None else None,
        kinds=kind or [],
        types=record_type or [],
        tags=tag or [],
    ).checked()
    db = _open(ctx)
    # No journal, or a name that finds no one, stops the export before its first byte.
    with db.connection() as conn:
        for name in filters.clients:
            clients.find_client(conn, name)
    with _output(output, json=fmt in ("json", "jsonl")) as out:
        if fmt == "markdown":
            formats.write_markdown(exporting.sections(db, filters), out)
        elif fmt == "vcf":
            from rapport.vcards import write_vcards

            write_vcards(exporting.export_records(db, filters), out, vcard)
        elif fmt == "ics":
            out.write(agenda.calendar(db, filters.clients, ring).decode("utf-8"))
        elif fmt == "csv":
            formats.write_csv(exporting.export_records(db, filters), out, raw=raw)
        else:
            lines = exporting.export_lines(db, filters)
            (formats.write_json if fmt == "json" else formats.write_jsonl)(lines, out)


def _vcard_options(version: str, **options: object) -> None:
    """A vCard export writes clients: the options that pick entries do not apply to it."""
    from rapport.vcards import VERSIONS

    if version not in VERSIONS:
        raise BadInput(f"unknown vCard version {version!r}; choose {' or '.join(VERSIONS)}")
    _not_for("vcf", "writes clients", **options)


def _not_for(fmt: str, what: str, **options: object) -> None:
    """The options that pick entries, refused by a format they do not apply to."""
    given = [f"--{name}" for name, value in options.items() if value]
    if given:
        raise BadInput(f"--format {fmt} {what}; {', '.join(given)} picks entries: leave it out")


@contextmanager
def _output(path: Path | None, *, json: bool = False) -> Iterator[IO[str]]:
    """UTF-8 text for an export: stdout, or through FILE as the shell's `>` would.

    A regular file appears only when complete (files.writing); a device, FIFO or /dev/fd/N
    is written directly.
    """
    import io

    with ExitStack() as stack:
        if path is None or str(path) == "-":
            sys.stdout.flush()
            binary: IO[bytes] = sys.stdout.buffer
        else:
            from rapport.files import writing

            binary = stack.enter_context(writing(path))
        # newline="" passes newlines through untouched: CSV wants its CRLF.
        out = io.TextIOWrapper(binary, encoding="utf-8", newline="")
        try:
            # On a terminal a person reads it: a note's ESC or U+202E must not act on the
            # screen. Piped or written to a file, the export keeps the exact text.
            yield (
                _OnScreen(out, json=json)
                if binary is sys.stdout.buffer and binary.isatty()
                else out
            )
            out.flush()
        finally:
            out.detach()  # the stream below is closed by its owner, stdout not at all


class _OnScreen:
    """An export shown on a terminal: control and bidi characters spelled out (JSON keeps
    valid escapes for them)."""

    def __init__(self, out: IO[str], *, json: bool) -> None:
        self._out = out
        self._shown = json_escaped if json else (lambda text: visible(text, layout=True))

    def write(self, text: str) -> int:
        self._out.write(self._shown(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._out, name)


@app.command("import")
def import_(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="A file, or - for stdin.", metavar="FILE|-")] = "-",
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="jsonl, json, csv or vcf [default: from FILE's name].",
        ),
    ] = None,
    update: Annotated[
        bool, typer.Option("--update", help="Overwrite records that differ from the journal.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", "-n", help="Report what would change; write nothing.")
    ] = False,
    raw: Annotated[
        bool, typer.Option("--raw", help="CSV was exported with --raw: take cells as written.")
    ] = False,
    allow_namesakes: Annotated[
        bool,
        typer.Option(
            "--allow-namesakes",
            help="Import a client beside another of the same name and company (then merge).",
        ),
    ] = False,
) -> None:
    """Read records from an export, a CSV or an address book (vCard); all or nothing.

    Records are matched by uuid: importing the same file twice adds nothing. A new client
    with the name and company of another stops the import, unless --allow-namesakes.

    Example: rapport export --db old.db | rapport import -
    """
    from rapport import formats, reports, transfer

    fmt = _import_format(source, fmt)
    if source == "-" and sys.stdin.isatty():
        raise BadInput("give a FILE to import, or pipe one in: rapport import - < journal.jsonl")
    db = _open(ctx)
    with ExitStack() as stack:
        if db.file is not None and not db.file.exists():
            # Nothing to spoil: a dry run works on a scratch journal, a real import builds
            # the new journal aside and moves it into place only when it has succeeded.
            from rapport.store.sqlite import new_journal

            db = stack.enter_context(new_journal(_scratch_path(stack) if dry_run else db.file))
        stream = stack.enter_context(_input(source))
        if fmt == "vcf":
            contacts = formats.read_vcards(stream)
            card_report = transfer.import_contacts(
                db, contacts, dry_run=dry_run, allow_namesakes=allow_namesakes
            )
            said = reports.imported_contacts(source, card_report)
        else:
            reader = (
                formats.read_csv(stream, raw=raw) if fmt == "csv" else formats.READERS[fmt](stream)
            )
            try:
                report = transfer.import_records(
                    db,
                    reader,
                    update_existing=update,
                    dry_run=dry_run,
                    allow_namesakes=allow_namesakes,
                )
            except KeyboardInterrupt:
                # The transaction rolled back on the way here: an import is all or nothing.
                name = "stdin" if source == "-" else source
                raise Interrupted(
                    f"interrupted: nothing from {name} was imported; the journal is as it was"
                ) from None
            said = reports.imported(source, report)
    for line in said:
        _say(line)


def _scratch_path(stack: ExitStack) -> Path:
    import tempfile

    folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="rapport-dry-run-"))
    return Path(folder) / "journal.db"


def _import_format(source: str, fmt: str | None) -> str:
    from rapport import formats

    if fmt is None:
        if source == "-":
            return "jsonl"
        fmt = formats.EXTENSIONS.get(Path(source).suffix.lower())
        if fmt is None:
            raise BadInput(f"cannot tell the format of {source}; pass --format jsonl|json|csv|vcf")
    fmt = fmt.lower()
    if fmt not in formats.IMPORT_FORMATS:
        raise BadInput(f"unknown format {fmt!r}; choose one of {', '.join(formats.IMPORT_FORMATS)}")
    return fmt


@contextmanager
def _input(source: str) -> Iterator[IO[bytes]]:
    """The bytes to import, with a progress bar on a terminal for large files."""
    if source == "-":
        yield typer.get_binary_stream("stdin")
        return
    path = Path(source)
    try:
        stream = path.open("rb")
    except OSError as error:
        raise BadInput(f"cannot read {source}: {error.strerror}") from None
    with stream:
        size = path.stat().st_size
        if sys.stderr.isatty() and size > PROGRESS_FROM_BYTES:
            from rapport.render import progress_reader

            with progress_reader(stream, size, f"Importing {path.name}") as wrapped:
                yield wrapped
        else:
            yield stream


# -- insight --------------------------------------------------------------------------------


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[
        str,
        typer.Argument(
            help='Words to find; FTS5 syntax: "exact phrase", a OR b, segel*; #tag for a tag.'
        ),
    ] = "",
    tag: Annotated[
        list[str] | None,
        typer.Option(
            "--tag",
            "-t",
            metavar="TAG",
            help="Only contacts with this tag; repeat for all of several. Alone: list them.",
            autocompletion=_complete_tag,
        ),
    ] = None,
    client: Annotated[
        str | None,
        typer.Option(
            "--client",
            "-c",
            metavar="CLIENT",
            help="Only this client.",
            autocompletion=_complete_client,
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", metavar="DATE", help="Only entries since then.")
    ] = None,
    latest: Annotated[
        bool, typer.Option("--latest", help="Newest first instead of best match.")
    ] = False,
    limit: Annotated[
        int, typer.Option("--limit", "-n", metavar="N", help="At most this many results.")
    ] = 20,
    as_json: JsonOption = False,
) -> None:
    """Search notes, impressions, facts and follow-ups; accents and case do not matter.

    A word starting with # is a tag: `search '#budgetq1'` lists the contacts logged with
    --tag budgetq1, newest first; with other words, it narrows their matches to those.

    Example: rapport search segeln --client brandt
    """
    from rapport.search import search as find

    if client is not None and not client.strip():
        raise BadInput("give a client name after --client")  # else it would filter nothing
    after = _since(since)
    hits = find(_open(ctx), query, tags=tag, client=client, since=after, latest=latest, limit=limit)
    if as_json:
        from rapport.records import hit_record

        _print_json([hit_record(hit) for hit in hits])
        return
    from rapport import dates, render

    # With nothing found, say where rapport looked: a filter may be why.
    scope = (f" about {client!r}" if client else "") + (
        f" since {dates.format_day(after)}" if after else ""
    )
    asked = " ".join([query.strip(), *(f"#{t.strip().lower()}" for t in tag or [])]).strip()
    _out().print(render.search_results(asked, hits, scope))


@app.command()
def due(
    ctx: typer.Context,
    within: Annotated[
        str,
        typer.Option(
            "--within", "-w", metavar="PERIOD", help="Also what falls due in the next 7d, 2w, …"
        ),
    ] = "0d",
    as_json: JsonOption = False,
    exit_status: Annotated[
        bool,
        typer.Option(
            "--exit-status",
            help="Exit 1 when a follow-up, a contact or a date is due (for cron and prompts).",
        ),
    ] = False,
) -> None:
    """What needs attention: follow-ups due, clients overdue for contact, and never contacted.

    Example: rapport due --within 7d

    Example: rapport due --exit-status > /dev/null || notify-send "rapport: something is due"
    """
    from rapport import dates, insight

    days = dates.parse_period(within, "--within")
    try:
        report = insight.due(_open(ctx), within_days=days)
    except NoJournal:
        report = None
    if as_json:
        from rapport.records import due_json

        _print_json(due_json(report))
    elif report is None:
        _say("Nothing is due: the journal is empty.")
    else:
        from rapport import render

        _out().print(render.due_view(report))
    if exit_status and report is not None and report.anything_due:
        raise typer.Exit(1)


@app.command()
def todo(
    ctx: typer.Context,
    client: Annotated[str, typer.Argument(help="Who it is for.", autocompletion=_complete_client)],
    text: Annotated[str, typer.Argument(help="What you want to do.")],
    due_when: Annotated[
        str | None,
        typer.Option("--due", metavar="DATE", help="When: 'friday', 'in 2 weeks', 2026-12-01."),
    ] = None,
) -> None:
    """Add a follow-up without logging a contact.

    Example: rapport todo brandt "Send the Q1 media plan" --due friday
    """
    from rapport import clients, dates
    from rapport.rows import short_id

    day = dates.parse_day(due_when) if due_when is not None else None
    owner, item = clients.add_todo(_open(ctx), client, text, day)
    due_text = f", due {item.due}" if item.due else ""
    _say(f"Follow-up for {owner.name}: {item.text}{due_text}  [{short_id(item.uuid)}]")


@app.command()
def done(
    ctx: typer.Context,
    entry_id: Annotated[
        str, typer.Argument(metavar="ID", help="The follow-up's id (from due or show).")
    ],
) -> None:
    """Close a follow-up.

    Example: rapport done 3f2a9c1b
    """
    from rapport import corrections

    owner, item = corrections.mark_done(_open(ctx), entry_id)
    _say(f"Done: {item.text} ({owner.name})")


@app.command()
def drift(
    ctx: typer.Context, as_json: JsonOption = False, svg: SvgOption = None, html: HtmlOption = None
) -> None:
    """First versus latest impression for every client: where the first impression deceived.

    Example: rapport drift --svg drift.svg
    """
    from rapport import insight

    _pictures(svg, html, as_json)
    try:
        report = insight.drift(_open(ctx))
    except NoJournal:
        report = insight.DriftReport([], 0, 0)
    if as_json:
        from rapport.records import drift_json

        _print_json(drift_json(report))
        return
    from rapport import render

    _view(render.drift_view(report), svg, html, "rapport drift")


@app.command()
def stats(
    ctx: typer.Context, as_json: JsonOption = False, svg: SvgOption = None, html: HtmlOption = None
) -> None:
    """The whole journal at a glance: contacts per month, kinds, who is neglected.

    Example: rapport stats --html stats.html
    """
    from rapport import insight

    _pictures(svg, html, as_json)
    try:
        report = insight.stats(_open(ctx))
    except NoJournal:
        report = insight.Stats.empty()
    if as_json:
        from rapport.records import stats_json

        _print_json(stats_json(report))
        return
    from rapport import render

    _view(render.stats_view(report), svg, html, "rapport stats")


# -- corrections ----------------------------------------------------------------------------


@app.command()
def edit(
    ctx: typer.Context,
    entry_id: Annotated[
        str,
        typer.Argument(
            metavar="ID|CLIENT",
            help="The entry's id, as show prints it, or a client's name or id.",
            autocompletion=_complete_client,
        ),
    ],
    note: Annotated[
        str | None,
        typer.Option(
            "--note",
            "--text",
            metavar="TEXT",
            help="New text of the note, impression, fact or follow-up.",
        ),
    ] = None,
    at: AtOption = None,
    kind: Annotated[
        str | None, typer.Option("--kind", "-k", metavar="KIND", help="New kind of contact.")
    ] = None,
    mood: Annotated[
        int | None, typer.Option("--mood", "-m", metavar="N", help="New mood, -2 to +2.")
    ] = None,
    score: Annotated[
        int | None, typer.Option("--score", "-s", metavar="N", help="New impression score.")
    ] = None,
    topic: Annotated[
        str | None, typer.Option("--topic", metavar="TOPIC", help="New topic of a fact.")
    ] = None,
    due_when: Annotated[
        str | None, typer.Option("--due", metavar="DATE", help="New due day of a follow-up.")
    ] = None,
    future: FutureOption = False,
    name: Annotated[
        str | None, typer.Option("--name", metavar="NAME", help="A client's new name.")
    ] = None,
    company: Annotated[
        str | None,
        typer.Option("--company", "-c", metavar="COMPANY", help="New company ('' clears)."),
    ] = None,
    role: Annotated[
        str | None, typer.Option("--role", "-r", metavar="ROLE", help="New role ('' clears).")
    ] = None,
    email: EmailOption = None,
    remove_email: Annotated[
        list[str] | None,
        typer.Option("--remove-email", metavar="ADDRESS", help="An e-mail to drop."),
    ] = None,
    phone: PhoneOption = None,
    remove_phone: Annotated[
        list[str] | None,
        typer.Option("--remove-phone", metavar="NUMBER", help="A phone number to drop."),
    ] = None,
    tag: TagOption = None,
    untag: Annotated[
        list[str] | None, typer.Option("--untag", metavar="TAG", help="A tag to take off.")
    ] = None,
    every: Annotated[
        str | None,
        typer.Option("--every", metavar="PERIOD|none", help="Keep in touch every 2w; none."),
    ] = None,
    birthday: Annotated[
        str | None,
        typer.Option("--birthday", metavar="DAY|none", help="1970-04-02, 04-02, or none."),
    ] = None,
    date: DateOption = None,
    remove_date: Annotated[
        list[str] | None,
        typer.Option("--remove-date", metavar="LABEL", help="A yearly date to drop."),
    ] = None,
    met: Annotated[
        str | None, typer.Option("--met", metavar="TEXT", help="How you met ('' clears).")
    ] = None,
) -> None:
    """Correct an entry, or change a client's details: with options, or in $EDITOR when
    none are given.

    Example: rapport edit 3f2a9c1b --at "yesterday 13:00" --kind lunch

    Example: rapport edit brandt --email home:konrad@mail.example --untag prospect
    """
    from rapport import corrections, dates

    changes = corrections.Changes(
        text=note, at=_when(at), kind=kind, mood=mood, score=score, topic=topic,
        due=dates.parse_day(due_when) if due_when is not None else None, allow_future=future,
    )  # fmt: skip
    details = corrections.ClientChanges(
        name=name, company=company, role=role, emails=email or [],
        remove_emails=remove_email or [], phones=phone or [], remove_phones=remove_phone or [],
        tags=tag or [], untag=untag or [], every=every, birthday=birthday, dates=date or [],
        remove_dates=remove_date or [], met=met,
    )  # fmt: skip
    if changes.given() and details.given():
        raise BadInput(
            "--note, --at, --kind, --mood, --score, --topic and --due change an entry, the "
            "other options a client; give one kind"
        )
    db = _open(ctx)
    if corrections.edit_target(db, entry_id) == "client":
        if changes.given():
            raise BadInput(
                f"{entry_id!r} is a client; --note, --at, --kind, --mood, --score, --topic "
                "and --due change an entry (give its id)"
            )
        _edit_client(db, entry_id, details)
        return
    if details.given():
        raise BadInput(f"{entry_id!r} is an entry id; the client options change a client")
    if not changes.given():
        if not sys.stdin.isatty():
            raise BadInput(corrections.NOTHING_TO_CHANGE)
        from rapport.editor import note_from_editor

        old = corrections.current_text(db, entry_id)
        changes.text = note_from_editor(f"Editing {entry_id}", old)
        if changes.text == old.strip():
            _say("No change.")
            return
    owner, entry = corrections.edit(db, entry_id, changes)
    _say(f"Changed {corrections.describe(entry)} ({owner.name})")


def _edit_client(db: Journal, query: str, details: ClientChanges) -> None:
    """`edit CLIENT`: the options, or the whole card in $EDITOR at a terminal."""
    from rapport import corrections
    from rapport.names import label

    if details.given():
        client, changed = corrections.edit_client(db, query, details)
    else:
        if not sys.stdin.isatty():
            raise BadInput(
                "nothing to change; give options (--email, --phone, --every, --birthday, …; "
                "see rapport edit --help), or run it at a terminal to edit the card"
            )
        from rapport.cards import card_text
        from rapport.editor import edit_until_valid

        found = corrections.client_for_edit(db, query)
        shown = card_text(found)
        client, changed = edit_until_valid(
            shown, lambda saved: corrections.edit_card(db, found.id, shown, saved)
        )
    who = label(client.name, client.company)
    _say(f"Updated {who}: {', '.join(changed)}" if changed else f"Nothing changed for {who}")


def _confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise BadInput(f"{question.rstrip('?')}: pass --yes to confirm when not at a terminal")
    if not typer.confirm(visible(question), default=False, err=True):
        raise typer.Abort()


@app.command()
def rm(
    ctx: typer.Context,
    entry_id: Annotated[
        str, typer.Argument(metavar="ID", help="The entry's id, as show prints it.")
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Remove one entry (a contact, impression, fact or follow-up).

    Example: rapport rm 3f2a9c1b --yes
    """
    from rapport import corrections

    db = _open(ctx)
    _confirm(f"Remove {corrections.describe_id(db, entry_id)}?", yes)
    owner, what = corrections.remove(db, entry_id)
    _say(f"Removed {what} ({owner.name})")


@app.command()
def rename(
    ctx: typer.Context,
    client: Annotated[str, typer.Argument(help="Who.", autocompletion=_complete_client)],
    new_name: Annotated[str, typer.Argument(metavar="NEW-NAME", help="The right name.")],
) -> None:
    """Correct a client's name.

    Example: rapport rename "Konrad Brant" "Konrad Brandt"
    """
    from rapport import corrections

    old, client_row = corrections.rename(_open(ctx), client, new_name)
    _say(f"Renamed {old} to {client_row.name}")


@app.command()
def merge(
    ctx: typer.Context,
    client: Annotated[str, typer.Argument(help="The duplicate.", autocompletion=_complete_client)],
    into: Annotated[
        str,
        typer.Argument(
            metavar="INTO-CLIENT", help="The client to keep.", autocompletion=_complete_client
        ),
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Move everything of a duplicate client into another and delete the duplicate.

    Example: rapport merge "K. Brandt" "Konrad Brandt"
    """
    from rapport import corrections, reports

    db = _open(ctx)
    gone, kept = corrections.merge_pair(db, client, into)
    _confirm(reports.merge_question(gone, kept), yes)
    _say(reports.merged(corrections.merge(db, client, into)))


# -- the file ------------------------------------------------------------------------------


@app.command()
def forget(
    ctx: typer.Context,
    client: Annotated[str, typer.Argument(help="Who to erase.", autocompletion=_complete_client)],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Erase a person and everything about them, leaving no trace in the journal file.

    Copies made earlier (backups, exports) are not reached: delete those yourself.

    Example: rapport forget "Jana Müller" --yes
    """
    from rapport import clients, maintenance, reports

    db = _open(ctx)
    _confirm(reports.forget_question(clients.lookup(db, client)), yes)
    for line in reports.forgotten(maintenance.forget(db, client), on_server=db.file is None):
        _say(line)


@app.command()
def backup(
    ctx: typer.Context,
    # A string, not a Path: a trailing "/" says "a folder" and Path would drop it.
    path: Annotated[str, typer.Argument(help="A new file, or a folder to put a dated copy in.")],
) -> None:
    """Copy the journal consistently, even while it is in use (file mode 0600).

    Example: rapport backup ~/backups/
    """
    from rapport import maintenance

    target = maintenance.backup(_open(ctx), path)
    _say(f"Backed up to {target}")


@app.command()
def check(ctx: typer.Context) -> None:
    """Check the journal: integrity, foreign keys, search index and schema version.

    Example: rapport check && echo healthy
    """
    from rapport import maintenance, reports

    report = maintenance.check(_open(ctx))
    typer.echo(reports.checked(report))
    if not report.ok:
        raise typer.Exit(1)


db_app = RapportTyper(help="Where the journal is and what it holds.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("path")
def db_path(ctx: typer.Context) -> None:
    """Print the journal's path (from --db, $RAPPORT_DB or the data folder), or its URL.

    A URL is printed without its password.

    Example: rapport db path
    """
    from rapport.store import open_journal

    typer.echo(visible(open_journal(ctx.find_root().obj).label))


@db_app.command("compact")
def db_compact(ctx: typer.Context) -> None:
    """Rewrite the journal without deleted data: its file and write-ahead log on SQLite,
    rapport's tables on PostgreSQL (VACUUM FULL).

    `forget` does this itself; run it when another program had the journal open then.

    Example: rapport db compact
    """
    from rapport import maintenance

    db = _open(ctx.find_root())
    reason = maintenance.compact(db)
    if reason is not None:
        raise RapportError(f"could not compact the journal: {reason}")
    if db.file is None:
        _say("Compacted: rapport's tables were rewritten without deleted rows (VACUUM FULL).")
    else:
        _say("Compacted: no deleted data is left in the file.")


@db_app.command("info")
def db_info(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Schema version, size, rows per table and the backups beside the journal.

    Example: rapport db info --json
    """
    from rapport import maintenance, reports

    report = maintenance.info(_open(ctx.find_root()))
    if as_json:
        _print_json(reports.info_record(report))
    else:
        typer.echo(reports.info(report))


def _inside_quotes(words: str) -> bool:
    """Whether the command line being completed ends inside an open quote."""
    import shlex

    try:
        shlex.split(words)
    except ValueError:  # "No closing quotation"
        return True
    return False


def _escaping_bash_completions() -> Any:
    """The command `app` runs, but bash completions come escaped.

    Bash puts a completion on the command line as it is written, so `Jana Müller` would
    become two words, and Typer's bash completion does not escape. Typer keeps its
    completion classes in private modules (Typer 0.29) and registers them each time it
    builds the command; if they move, names complete unescaped, as Typer has them, and
    tests/test_export_import.py says so.
    """
    try:
        from typer._click.shell_completion import add_completion_class
        from typer._completion_classes import BashComplete
        from typer.main import get_command
    except ImportError:
        return app

    class EscapedBashComplete(BashComplete):
        def format_completion(self, item: Any) -> str:
            if _inside_quotes(os.environ.get("COMP_WORDS", "")):
                return item.value  # after an opening quote, bash takes the name as it is
            return re.sub(r"([^\w@%+=:,./-])", r"\\\1", item.value)

    command = get_command(app)
    add_completion_class(EscapedBashComplete, "bash")
    return command


def main() -> None:
    """The console script: run one command, then leave without the interpreter's teardown.

    Importing SQLAlchemy and Pydantic allocates hundreds of thousands of objects, which the
    cyclic collector would walk again and again during start-up (a higher threshold lets it
    run less often, and still run in a long import), and which the interpreter would free one
    by one at exit. By the time `app` returns, every journal is closed (each command's context
    closes it); once the output is flushed, nothing is left to do but end.
    """
    from rapport.files import standard_streams

    gc.set_threshold(100_000, 50, 100)
    standard_streams()  # closed descriptors, full disks, terminals that are not UTF-8
    run = _escaping_bash_completions() if os.environ.get("_RAPPORT_COMPLETE") else app
    try:
        code = run(standalone_mode=False)
    except SystemExit as leaving:  # Typer's own exit on a closed pipe
        code = leaving.code
    code = code if isinstance(code, int) else 0
    try:
        sys.stdout.flush()
    except ReaderGone as gone:
        code = code or gone.exit_code
    except RapportError as error:  # what is left of the output, behind a full disk
        code = _fail(str(error), code or error.exit_code)
    with suppress(OSError):
        sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
