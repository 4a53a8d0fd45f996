"""The JQL subset that the integration, its tools and the tests send, evaluated over the store.

Grammar (keywords case-insensitive)::

    query    := [or_expr] [ORDER BY field [ASC | DESC]]
    or_expr  := and_expr (OR and_expr)*
    and_expr := term (AND term)*
    term     := "(" or_expr ")" | clause
    clause   := field (= | != | > | >= | < | <=) value
              | field [NOT] IN "(" value ("," value)* ")"

Fields: ``project``, ``key`` (``id``), ``statusCategory``, ``created``, ``updated``. Dates take
a period (``-1w``, ``-4w 2d``) or an absolute ``yyyy-MM-dd [HH:mm]``; dates and keys compare
with ``>``, ``<`` (keys within their project, as Data Center paging past the window sends).
Errors raise :class:`JqlError` carrying Jira's 400 message.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, Final

from .catalog import STATUS_CATEGORIES
from .store import Dataset, IssueRecord, relative_delta

SYNTAX: Final = "Error in the JQL Query: "
_TOKEN: Final = re.compile(
    r"""\s*(?:(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<op>!=|>=|<=|=|>|<)"""
    r"""|(?P<punct>[(),])|(?P<word>[^\s"'=!<>(),]+))"""
)
_DATE_FORMATS: Final = ("%Y-%m-%d %H:%M", "%Y-%m-%d")
_COMPARISONS: Final = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


class JqlError(ValueError):
    """A JQL query Jira would answer with HTTP 400."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def unknown_field_message(name: str) -> str:
    return f"Field '{name}' does not exist or you do not have permission to view it."


# ---------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Clause:
    field: str
    op: str  # = != > >= < <= IN "NOT IN"
    values: tuple[str, ...]


@dataclass(frozen=True)
class BoolOp:
    op: str  # AND | OR
    children: tuple[Node, ...]


Node = Clause | BoolOp


@dataclass(frozen=True)
class Query:
    where: Node | None
    order_by: tuple[str, bool] | None = None  # (field, descending)


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) pairs: string, op, punct or word (a keyword is a word, upper-cased)."""
    out: list[tuple[str, str]] = []
    pos = 0
    while text[pos:].strip():
        match = _TOKEN.match(text, pos)
        if match is None:
            rest = text[pos:].strip()
            if rest[0] in "\"'":
                raise JqlError(f"{SYNTAX}The quoted string '{rest[1:]}' has not been completed.")
            raise JqlError(f"{SYNTAX}The character '{rest[0]}' is a reserved JQL character.")
        kind = match.lastgroup or "word"
        value = match.group(kind)
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        out.append((kind, value))
        pos = match.end()
    return out


_KEYWORDS: Final = frozenset({"AND", "OR", "NOT", "IN", "ORDER", "BY"})


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.i] if self.i < len(self.tokens) else ("end", "")

    def keyword(self) -> str | None:
        kind, text = self.peek()
        return text.upper() if kind == "word" and text.upper() in _KEYWORDS else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.i += 1
        return token

    def expect(self, what: str) -> JqlError:
        kind, text = self.peek()
        got = "before the end of the query" if kind == "end" else f"but got '{text}'"
        return JqlError(f"{SYNTAX}Expecting {what} {got}.")

    def require(self, punct: str) -> None:
        if self.peek() != ("punct", punct):
            raise self.expect(f"'{punct}'")
        self.take()

    def query(self) -> Query:
        where = None if self.keyword() == "ORDER" or not self.tokens else self.or_expr()
        order = None
        if self.keyword() == "ORDER":
            self.take()
            if self.keyword() != "BY":
                raise self.expect("'BY'")
            self.take()
            order = (self.field(), self.peek()[1].upper() == "DESC")
            if self.peek()[1].upper() in ("ASC", "DESC"):
                self.take()
        if self.peek()[0] != "end":
            raise self.expect("either 'OR' or 'AND'" if where else "a field name")
        return Query(where, order)

    def or_expr(self) -> Node:
        return self.joined("OR", self.and_expr)

    def and_expr(self) -> Node:
        return self.joined("AND", self.term)

    def joined(self, op: str, part: Callable[[], Node]) -> Node:
        children = [part()]
        while self.keyword() == op:
            self.take()
            children.append(part())
        return children[0] if len(children) == 1 else BoolOp(op, tuple(children))

    def term(self) -> Node:
        if self.peek() == ("punct", "("):
            self.take()
            node = self.or_expr()
            self.require(")")
            return node
        name = self.field()
        kind, op = self.peek()
        if kind == "op":
            self.take()
            return Clause(name, op, (self.value(),))
        negated = self.keyword() == "NOT"
        if negated:
            self.take()
        if self.keyword() == "IN":
            self.take()
            self.require("(")
            values = [self.value()]
            while self.peek() == ("punct", ","):
                self.take()
                values.append(self.value())
            self.require(")")
            return Clause(name, "NOT IN" if negated else "IN", tuple(values))
        raise self.expect("'IN'" if negated else "operator")

    def field(self) -> str:
        kind, text = self.peek()
        if kind not in ("word", "string") or (kind == "word" and self.keyword()):
            raise self.expect("a field name")
        self.take()
        return text

    def value(self) -> str:
        kind, text = self.peek()
        if kind == "string" or (kind == "word" and not self.keyword()):
            self.take()
            return text
        raise self.expect("either a value, list or function")


def parse(text: str) -> Query:
    """Parse JQL; raises :class:`JqlError` with Jira's message on a syntax error."""
    return _Parser(text or "").query()


# ---------------------------------------------------------------------------- fields


@dataclass
class JqlContext:
    dataset: Dataset
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    # Absolute dates ("2024-05-01 10:00") are read in the caller's time zone, as Jira does;
    # a wall time the DST fall-back hour makes ambiguous names the earlier instant, or the
    # later one with `later_when_ambiguous`.
    zone: tzinfo = UTC
    later_when_ambiguous: bool = False


Predicate = Callable[[IssueRecord], bool]


@dataclass(frozen=True)
class JqlField:
    """How one field reads an issue (``values``) and turns a JQL value into one (``resolve``)."""

    values: Callable[[IssueRecord], list[Any]]
    resolve: Callable[[str, str, JqlContext], Any]
    ordered: bool = False  # > >= < <= apply
    sort: Callable[[IssueRecord], Any] | None = None  # ORDER BY applies (key only here)


def _named(text: str, name: str, candidates: dict[str, tuple[Any, ...]]) -> str:
    """The candidate (by its key) one of whose names is ``text``, case-insensitively."""
    for key, names in candidates.items():
        if text.lower() in (str(n).lower() for n in names):
            return key
    raise JqlError(f"The value '{text}' does not exist for the field '{name}'.")


def _project(text: str, name: str, ctx: JqlContext) -> str:
    projects = ctx.dataset.projects.values()
    return _named(text, name, {p.key: (p.key, p.name, p.id) for p in projects})


def _status_category(text: str, name: str, ctx: JqlContext) -> str:
    categories = STATUS_CATEGORIES.items()
    return _named(text, name, {k: (k, c["name"], c["id"]) for k, c in categories})


def _issue_key(text: str, name: str) -> re.Match[str]:
    match = re.fullmatch(r"([A-Za-z][A-Za-z0-9_]*)-(\d+)", text)
    if match is None:
        raise JqlError(f"The issue key '{text}' for field '{name}' is invalid.")
    return match


def _issue_id(text: str, name: str, ctx: JqlContext) -> int:
    if text.isdigit():
        return int(text)
    issue = ctx.dataset.get_issue(_issue_key(text, name).group(0))
    if issue is None:
        raise JqlError(f"An issue with key '{text}' does not exist for field '{name}'.")
    return issue.id


def _when(text: str, name: str, ctx: JqlContext) -> datetime:
    delta = relative_delta(text)
    if delta is not None:
        return ctx.now.replace(second=0, microsecond=0) + delta
    for pattern in _DATE_FORMATS:
        try:
            wall = datetime.strptime(text.strip(), pattern)
            return wall.replace(tzinfo=ctx.zone, fold=1 if ctx.later_when_ambiguous else 0)
        except ValueError:
            continue
    raise JqlError(
        f"Date value '{text}' for field '{name}' is invalid. Valid formats include: "
        "'yyyy-MM-dd HH:mm', 'yyyy-MM-dd', or a period format "
        "e.g. '-5d', '4w 2d'."
    )


def _date(field_id: str) -> JqlField:
    def values(issue: IssueRecord) -> list[Any]:
        when = issue.dt(field_id)
        return [when.replace(second=0, microsecond=0)] if when else []

    return JqlField(values, _when, ordered=True)


_KEY: Final = JqlField(
    lambda issue: [issue.id], _issue_id, sort=lambda issue: [issue.project_key, issue.number]
)
FIELDS: Final[dict[str, JqlField]] = {
    "project": JqlField(lambda issue: [issue.project_key], _project),
    "key": _KEY,
    "id": _KEY,
    "statuscategory": JqlField(
        lambda issue: [issue.fields["status"]["statusCategory"]["key"]], _status_category
    ),
    "created": _date("created"),
    "updated": _date("updated"),
}


def jql_field(name: str) -> JqlField:
    found = FIELDS.get(name.strip().lower())
    if found is None:
        raise JqlError(unknown_field_message(name))
    return found


# ---------------------------------------------------------------------------- evaluation


def _within_project(text: str, name: str, compare: Callable[[Any, Any], bool]) -> Predicate:
    """`key > "P-7"`: as Jira compares issue keys, within project P only, by number."""
    match = _issue_key(text, name)
    project, number = match.group(1).upper(), int(match.group(2))
    return lambda issue: issue.project_key == project and compare(issue.number, number)


def _compile_clause(clause: Clause, ctx: JqlContext) -> Predicate:
    spec = jql_field(clause.field)
    values = spec.values
    if clause.op in _COMPARISONS:
        if spec is _KEY and not clause.values[0].isdigit():
            return _within_project(clause.values[0], clause.field, _COMPARISONS[clause.op])
        if not spec.ordered:
            raise JqlError(
                f"The operator '{clause.op}' is not supported by the '{clause.field}' field."
            )
        compare = _COMPARISONS[clause.op]
        bound = spec.resolve(clause.values[0], clause.field, ctx)
        return lambda issue: any(compare(v, bound) for v in values(issue))
    wanted = {spec.resolve(v, clause.field, ctx) for v in clause.values}
    if clause.op in ("=", "IN"):
        return lambda issue: any(v in wanted for v in values(issue))
    # != and NOT IN never match an issue without a value
    return lambda issue: bool(values(issue)) and not any(v in wanted for v in values(issue))


def compile_node(node: Node, ctx: JqlContext) -> Predicate:
    if isinstance(node, Clause):
        return _compile_clause(node, ctx)
    children = [compile_node(child, ctx) for child in node.children]
    if node.op == "AND":
        return lambda issue: all(child(issue) for child in children)
    return lambda issue: any(child(issue) for child in children)


def compile_query(query: Query, ctx: JqlContext) -> Predicate:
    """A predicate for the WHERE part (validates fields, operators and values)."""
    return compile_node(query.where, ctx) if query.where is not None else lambda issue: True


# ---------------------------------------------------------------------------- ordering


@dataclass(frozen=True)
class Ordering:
    """The ORDER BY of a query: one field then ``id``, both ascending or both descending
    (without ORDER BY: ``id`` descending, newest first)."""

    field: Callable[[IssueRecord], Any] | None
    desc: bool

    def key(self, issue: IssueRecord) -> list[Any]:
        """A JSON-serialisable sort key."""
        return [self.field(issue), issue.id] if self.field else [issue.id]

    def sort(self, issues: list[IssueRecord]) -> list[tuple[list[Any], IssueRecord]]:
        keyed = [(self.key(issue), issue) for issue in issues]
        keyed.sort(key=lambda pair: pair[0], reverse=self.desc)
        return keyed

    def after(self, keys: list[list[Any]], last: list[Any]) -> int:
        """The position in sorted ``keys`` of the first key that sorts after ``last``."""
        for position, key in enumerate(keys):
            if (key < last) if self.desc else (key > last):
                return position
        return len(keys)


def ordering(query: Query) -> Ordering:
    if query.order_by is None:
        return Ordering(None, desc=True)
    name, descending = query.order_by
    sort = jql_field(name).sort
    if sort is None:
        raise JqlError(f"Not able to sort using field '{name}'.")
    return Ordering(sort, descending)
