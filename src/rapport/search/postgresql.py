"""Search on PostgreSQL: the same queries as FTS5 takes, run on PostgreSQL's text search.

The index is an expression index per searched column (`migrations._search_on_postgres`).
A query keeps FTS5's syntax, so a user's habits and scripts work on either engine: words,
"phrases", prefix*, AND, OR, NOT and parentheses. It is parsed here into a tsquery built
from bound values, never pasted into SQL text, and malformed queries fail as FTS5's do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rapport import folding
from rapport.search.kinds import COLUMNS, MARK_END, MARK_START, PARTS, QueryError
from rapport.store.migrations import PUNCTUATION, SEARCH_CONFIG, SEARCH_TEXT

if TYPE_CHECKING:
    from rapport.store.contract import Connection

# FTS5's barewords: ASCII letters, digits and _, and every character beyond ASCII.
_TOKEN = re.compile(r'\s*(?:(")|(\()|(\))|([A-Za-z0-9_\x1a\x80-\U0010ffff]+\*?)|(\S))')
_OPERATORS = ("AND", "OR", "NOT")
_SPACE = re.compile(PUNCTUATION.replace("]+", r"\s]+"))  # as SEARCH_TEXT splits, and blanks
KEY = "key"  # what a match's id * 4 + code is called in the conditions `matches` takes
MAX_DEPTH = 100  # parentheses within parentheses; FTS5's parser stops about there too


@dataclass
class TsQuery:
    """A query as SQL over bound words: `sql` uses :w0, :w1, … from `words`."""

    sql: str = ""
    words: dict[str, str] = field(default_factory=dict)


def parse(query: str) -> TsQuery:
    """FTS5's query syntax as a tsquery expression; raises QueryError like FTS5 does."""
    parser = _Parser(_tokens(query))
    sql = parser.any_of()
    if parser.pos < len(parser.tokens):
        raise QueryError(f"syntax error near {parser.tokens[parser.pos][1]!r}")
    return TsQuery(sql, parser.words)


prepare = parse  # the query is read before the journal opens: a malformed one costs nothing


def matches(
    conn: Connection, query: TsQuery, params: dict[str, object], where: list[str], latest: bool
) -> list[tuple]:
    """The matches wanted, best (or newest) first, each with its snippet in the user's words."""
    ranked = conn.execute(_ranking(query, where, latest), {**query.words, **params}).fetchall()
    ids = {f"ids{code}": [key // 4 for key, _, _ in ranked if key % 4 == code]
           for code in range(4)}  # fmt: skip
    found = {row[1]: row for row in conn.execute(_details(query), {**query.words, **ids})}
    hits = []
    for key, _, rank in ranked:
        source, _, uuid, client_uuid, name, at, label, snippet, text, archived = found[key]
        restored = folding.restore(snippet, text, folding.postgres_piece)
        snippet = trimmed(snippet if restored is None else restored, text)
        hits.append((source, uuid, client_uuid, name, at, label, snippet, rank, archived))
    return hits


def _tokens(query: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(query):
        match = _TOKEN.match(query, pos)
        if match is None:  # only blanks remain
            break
        pos = match.end()
        if match.group(1):
            end = query.find('"', pos)
            while end != -1 and query[end + 1 : end + 2] == '"':  # "" is a quote inside
                end = query.find('"', end + 2)
            if end == -1:
                raise QueryError("unterminated string")
            phrase = query[pos:end].replace('""', '"')
            pos = end + 1
            if query[pos : pos + 1] == "*":  # "a phrase"* : its last word is a prefix
                tokens.append(("word", phrase + "*"))
                pos += 1
            else:
                tokens.append(("phrase", phrase))
        elif match.group(2) or match.group(3):
            tokens.append(("paren", match.group(0).strip()))
        elif match.group(4) in _OPERATORS:
            tokens.append(("operator", match.group(4)))
        elif match.group(4) == "NEAR" and query[pos:].lstrip().startswith("("):
            raise QueryError('NEAR(…) works on a SQLite journal only; use AND or a "phrase"')
        elif match.group(4):
            tokens.append(("word", match.group(4)))
        else:
            raise QueryError(f"syntax error near {match.group(5)!r}")
    if not tokens:
        raise QueryError("nothing to search for")
    return tokens


class _Parser:
    """FTS5's precedence: NOT binds tightest, then AND (written or implied), then OR."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        self.words: dict[str, str] = {}

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self, kind: str, value: str | None = None) -> bool:
        token = self._peek()
        if token and token[0] == kind and (value is None or token[1] == value):
            self.pos += 1
            return True
        return False

    def any_of(self) -> str:
        parts = [self.all_of()]
        while self._take("operator", "OR"):
            parts.append(self.all_of())
        return parts[0] if len(parts) == 1 else "(" + " || ".join(parts) + ")"

    def all_of(self) -> str:
        parts = [self.but_not()]
        while True:
            if self._take("operator", "AND"):
                parts.append(self.but_not())
                continue
            token = self._peek()
            if token is None or token[0] == "operator" or token == ("paren", ")"):
                break
            parts.append(self.but_not())  # two terms side by side: both wanted
        return parts[0] if len(parts) == 1 else "(" + " && ".join(parts) + ")"

    def but_not(self) -> str:
        wanted = self.term()
        while self._take("operator", "NOT"):
            wanted = f"({wanted} && !!{self.term()})"
        return wanted

    def term(self) -> str:
        token = self._peek()
        if token is None:
            raise QueryError("syntax error: the query ends too soon")
        kind, value = token
        self.pos += 1
        if kind == "paren" and value == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QueryError(f"more than {MAX_DEPTH} parentheses within each other")
            inner = self.any_of()
            if not self._take("paren", ")"):
                raise QueryError("syntax error: a ( is not closed")
            self.depth -= 1
            return inner
        if kind in ("paren", "operator"):
            raise QueryError(f"syntax error near {value!r}")
        name = f"w{len(self.words)}"
        if kind == "word" and value.endswith("*"):
            # A prefix: its words in tsquery's syntax, one after the other, the last one
            # open-ended. Split here, as SEARCH_TEXT splits: what is left needs no quoting.
            words = [w for w in _SPACE.split(folding.postgres_search_text(value.rstrip("*"))) if w]
            self.words[name] = " <-> ".join(f"'{w}'" for w in words) + ":*" if words else ""
            return f"to_tsquery('{SEARCH_CONFIG}', :{name})"
        self.words[name] = value
        return f"phraseto_tsquery('{SEARCH_CONFIG}', {SEARCH_TEXT}(:{name}))"


def _ranking(query: TsQuery, where: list[str], latest: bool) -> str:
    """Every match's key (id * 4 + code), time and rank (lower is better, as FTS5's bm25)."""
    parts = " UNION ALL ".join(
        f"SELECT t.id * 4 + {code} AS key, {at} AS at, t.client_id AS client_id, "
        f"-ts_rank({_vector(table)}, ({query.sql})) AS rank "
        f"FROM {table} t WHERE {_vector(table)} @@ ({query.sql})"
        for table, code, at, _ in PARTS.values()
    )
    order = "at DESC, rank, key DESC" if latest else "rank, key DESC"
    conditions = f" WHERE {' AND '.join(where)}" if where else ""
    return f"SELECT key, at, rank FROM ({parts}) AS s{conditions} ORDER BY {order} LIMIT :limit"


def _vector(table: str) -> str:
    """The indexed expression, word for word, so the planner uses the index."""
    return f"to_tsvector('{SEARCH_CONFIG}', {SEARCH_TEXT}(t.{COLUMNS[table]}))"


# ts_headline's options: the same markers and about the same length as FTS5's snippet().
# It reads the text as indexed (punctuation as space, wide characters apart), so that what
# was found is marked; `matches` shows that stretch of the user's own text.
_HEADLINE = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=16, MinWords=14, ShortWord=2"


def _details(query: TsQuery) -> str:
    """The hits shown, with their snippets; :ids0 … :ids3 list their ids, kind by kind."""
    return " UNION ALL ".join(
        f"SELECT '{source}', t.id * 4 + {code}, t.uuid, c.uuid, c.name, {at}, {label}, "
        f"ts_headline('{SEARCH_CONFIG}', {SEARCH_TEXT}(t.{COLUMNS[table]}), ({query.sql}), "
        f"'{_HEADLINE}'), "
        f"t.{COLUMNS[table]}, c.archived FROM {table} t JOIN client c ON c.id = t.client_id "
        f"WHERE t.id = ANY(:ids{code})"
        for source, (table, code, at, label) in PARTS.items()
    )


def trimmed(snippet: str, text: str) -> str:
    """An ellipsis where the snippet cuts the text, as FTS5's snippet() marks it."""
    plain = snippet.replace(MARK_START, "").replace(MARK_END, "")
    if not plain or plain == text.strip():
        return snippet
    start = "" if text.lstrip().startswith(plain[:20]) else "…"
    if text.rstrip().rstrip(_STOPS).endswith(plain[-20:].rstrip(_STOPS)):
        tail = text.rstrip()[len(text.rstrip().rstrip(_STOPS)) :]
        return f"{start}{snippet.rstrip(_STOPS)}{tail}"
    return f"{start}{snippet}…"


_STOPS = ".!?…;:,)\"'»“”"  # ts_headline ends on a word; the text may end on these
