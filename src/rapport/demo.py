"""The sample journal `rapport demo` writes: a story, not random rows.

Konrad Brandt runs an advertising agency. At first he seemed restless and out to take
advantage; over lunches he turned out to be a sailor, a worried father and a man of his word.
Dates are relative to today, so the sample always looks like a living journal.
"""

from __future__ import annotations

import shlex
from datetime import date, datetime, time, timedelta
from pathlib import Path

from rapport import clients, dates
from rapport.errors import BadInput
from rapport.store import Database, default_path

STAR = "Konrad Brandt"

CLIENTS = [
    dict(
        name=STAR,
        company="Brandt & Vogel Werbeagentur",
        role="Managing director",
        emails=["work:k.brandt@brandt-vogel.example"],
        phones=["office:+49 40 555 0123", "mobile:+49 170 555 0188"],
        tags=["agency", "key-account"],
        cadence_days=21,
        met="Pitched the spring campaign at his agency; Jana Müller had given him our name.",
    ),
    dict(
        name="Jana Müller",
        company="Nordlicht Media",
        role="Head of media",
        emails=["work:jana.mueller@nordlicht.example"],
        tags=["media"],
        cadence_days=14,
    ),
    dict(
        name="Sophie Laurent",
        company="Maison Laurent",
        role="Marketing director",
        tags=["brand"],
        cadence_days=45,
    ),
    dict(name="Ayşe Demir", company="Demir Design", role="Founder", tags=["agency"]),
    dict(name="Tomás Ortega", company=None, role="Freelance producer", tags=["freelance"]),
]

# Dates that recur, as (client, label, days from today, years): Konrad's birthday comes up
# in `due` and in his briefing; a year count of None is a date kept without its year.
YEARLY = [
    (STAR, "birthday", 5, 57),
    ("Jana Müller", "birthday", 41, None),
    ("Ayşe Demir", "founded", 19, 12),
]

# (days ago, hour, what, client, fields): the whole story in the order it happened.
STORY: list[tuple[int, int, str, str, dict[str, object]]] = [
    (
        610,
        10,
        "log",
        STAR,
        dict(
            kind="meeting",
            mood=-1,
            note=(
                "First meeting at their office about the spring campaign. He checked his phone all "
                "the time and pushed hard on our rates."
            ),
        ),
    ),
    (
        610,
        18,
        "impression",
        STAR,
        dict(
            score=-2,
            text=(
                "Restless and hard to read. Seemed out to take advantage of us; I left with a knot "
                "in my stomach."
            ),
        ),
    ),
    (
        560,
        9,
        "log",
        STAR,
        dict(
            kind="call",
            mood=-1,
            note=("Rate negotiation again. More discount, no small talk, hung up mid-sentence."),
        ),
    ),
    (
        470,
        12,
        "log",
        STAR,
        dict(
            kind="lunch",
            mood=1,
            note=(
                "Asked him to lunch instead of another call. An hour on everything but "
                "business: he sails every summer and talked about it like a boy."
            ),
        ),
    ),
    (
        470,
        16,
        "fact",
        STAR,
        dict(
            topic="hobby",
            text=("Sails a wooden folkboat out of Kiel; dreams of crossing to Bornholm."),
        ),
    ),
    (
        470,
        17,
        "impression",
        STAR,
        dict(
            score=0,
            text=(
                "Less guarded over lunch. The restlessness may be pressure from his board, not a "
                "trick."
            ),
        ),
    ),
    (
        400,
        11,
        "fact",
        STAR,
        dict(
            topic="challenge",
            text=("The agency lost its biggest account last year; the board is pushing him hard."),
        ),
    ),
    (
        300,
        12,
        "log",
        STAR,
        dict(
            kind="lunch",
            mood=2,
            note=(
                "Lunch at the harbour. His daughter starts university in the autumn; proud and "
                "worried about the rent in Leipzig."
            ),
        ),
    ),
    (
        300,
        15,
        "fact",
        STAR,
        dict(
            topic="family", text=("Daughter Lena starts studying medicine in Leipzig in October.")
        ),
    ),
    (
        300,
        16,
        "fact",
        STAR,
        dict(topic="preference", text=("Prefers lunch to meeting rooms; no calls before ten.")),
    ),
    (
        190,
        14,
        "log",
        STAR,
        dict(
            kind="meeting",
            mood=2,
            note=("Signed the annual framework agreement. Every promise from our lunches kept."),
        ),
    ),
    (
        190,
        18,
        "impression",
        STAR,
        dict(score=1, text=("Keeps his word. Direct, but fair once he trusts you.")),
    ),
    (
        75,
        9,
        "log",
        STAR,
        dict(
            kind="call",
            mood=1,
            note=("Asked how Lena's first weeks in Leipzig went; he asked after my family too."),
        ),
    ),
    (
        30,
        19,
        "impression",
        STAR,
        dict(
            score=2,
            text=(
                "A partner on eye level. My first impression was simply wrong: he was under "
                "pressure, not out to cheat us."
            ),
        ),
    ),
    (
        12,
        13,
        "log",
        STAR,
        dict(
            kind="lunch",
            mood=2,
            note=(
                "Lunch at the harbour again. Planned next year's campaigns together; he wants to "
                "meet every quarter."
            ),
            tags=["budgetq1"],
            follow_up="Send the draft media plan for Q1",
            due_in=4,
        ),
    ),
    (
        45,
        10,
        "log",
        STAR,
        dict(
            kind="meeting",
            mood=1,
            note=(
                "Workshop on the Q1 plan at Brandt & Vogel with Jana from Nordlicht. Konrad "
                "listened more than he talked and gave Jana the credit for the media mix."
            ),
            others=["Jana Müller"],
            tags=["budgetq1", "workshop"],
        ),
    ),
    (
        400,
        10,
        "log",
        "Jana Müller",
        dict(
            kind="meeting",
            mood=2,
            note=(
                "Kick-off at Nordlicht. Warm, enthusiastic, promised us the whole spring budget."
            ),
        ),
    ),
    (
        400,
        17,
        "impression",
        "Jana Müller",
        dict(score=2, text=("Instantly likeable, a natural ally.")),
    ),
    (
        200,
        11,
        "log",
        "Jana Müller",
        dict(
            kind="email",
            mood=-1,
            note=("The spring budget went elsewhere after all; no word from her beforehand."),
        ),
    ),
    (
        150,
        16,
        "impression",
        "Jana Müller",
        dict(
            score=0,
            text=(
                "Friendly, but her promises run ahead of her mandate. Confirm everything in "
                "writing."
            ),
        ),
    ),
    (
        33,
        10,
        "log",
        "Jana Müller",
        dict(
            kind="call",
            note=("Short call about the autumn flight; she will ask her director."),
            follow_up="Ask Jana whether the autumn budget is approved",
            due_in=-3,
        ),
    ),
    (
        90,
        12,
        "log",
        "Sophie Laurent",
        dict(
            kind="lunch", mood=1, note=("Lunch in Hamburg; she is relaunching the brand in spring.")
        ),
    ),
    (90, 17, "impression", "Sophie Laurent", dict(score=1, text="Calm, precise, fair.")),
    (
        20,
        15,
        "log",
        "Sophie Laurent",
        dict(
            kind="meeting",
            mood=1,
            note=("Presented the relaunch concept; she wants a second option by January."),
        ),
    ),
    (20, 17, "fact", "Sophie Laurent", dict(topic="interest", text="Collects vintage posters.")),
    (
        240,
        10,
        "log",
        "Ayşe Demir",
        dict(
            kind="meeting",
            mood=-1,
            note=("Pitch at Demir Design. Sharp questions, visibly impatient."),
        ),
    ),
    (240, 18, "impression", "Ayşe Demir", dict(score=-1, text="Impatient; tests people.")),
    (
        60,
        12,
        "log",
        "Ayşe Demir",
        dict(
            kind="lunch",
            mood=2,
            note=("Lunch after the award show; she mentors young designers on weekends."),
        ),
    ),
    (
        60,
        16,
        "impression",
        "Ayşe Demir",
        dict(score=1, text=("The impatience is standards, not hostility. Generous with her time.")),
    ),
    (
        5,
        9,
        "log",
        "Tomás Ortega",
        dict(
            kind="message",
            note=("He is free for the spring shoot; waiting for dates from the agency."),
        ),
    ),
]


def prepare(path: Path | None, user_journal: Path | None, *, force: bool) -> Path:
    """The demo's own file, emptied; never the user's journal file."""
    target = (path or default_path().with_name("demo.db")).expanduser()
    if user_journal is not None and target.resolve() == user_journal.resolve():
        raise BadInput(f"{target} is your journal; the demo writes only to a file of its own")
    if target.is_dir():
        raise BadInput(f"{target} is a directory; give a file name for the sample journal")
    if target.exists() and path is not None and not force:
        raise BadInput(f"{target} exists; pass --force to overwrite it with the sample journal")
    for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        leftover.unlink(missing_ok=True)
    return target


def write(target: Path, author: str = "") -> Database:
    """The sample journal, written as `author` (whoever runs the demo)."""
    db = Database(target, author=author)
    today = dates.local(dates.now()).date()
    for client in CLIENTS:
        yearly = [_yearly(label, today + timedelta(days=days), years)
                  for who, label, days, years in YEARLY if who == client["name"]]  # fmt: skip
        clients.add_client(db, **client, yearly_dates=yearly)  # type: ignore[arg-type]
    for days_ago, hour, what, who, fields in STORY:
        moment = datetime.combine(today - timedelta(days=days_ago), time(hour)).astimezone()
        fields = dict(fields)
        if what == "log":
            due_in = fields.pop("due_in", None)
            due = today + timedelta(days=int(due_in)) if due_in is not None else None  # type: ignore[call-overload]
            clients.log(db, who, at=moment, due=due, allow_future=True, **fields)  # type: ignore[arg-type]
        elif what == "impression":
            clients.add_impression(db, who, at=moment, allow_future=True, **fields)  # type: ignore[arg-type]
        else:
            clients.add_fact(db, who, at=moment, allow_future=True, **fields)  # type: ignore[arg-type]
    return db


def _yearly(label: str, day: date, years: int | None) -> str:
    """`label:YYYY-MM-DD` (or `label:MM-DD` without a year) for the day it next falls on."""
    if years is None:
        return f"{label}:{day:%m-%d}"
    if day.month == 2 and day.day == 29:
        day -= timedelta(days=1)  # the year it began in may have no 29 February
    return f"{label}:{day.year - years:04d}-{day:%m-%d}"


def next_steps(target: Path) -> str:
    where = shlex.quote(str(target))
    return (
        f"\nThis sample journal is {target}; your own journal is untouched.\n"
        "Explore it:\n"
        f"  export RAPPORT_DB={where}\n"
        "  rapport clients\n"
        "  rapport show müller          # names match without accents, case or umlauts\n"
        "  rapport show brandt --json\n"
        'Start your own journal: unset RAPPORT_DB, then rapport add "Name" --company "Co"'
    )
