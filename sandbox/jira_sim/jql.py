"""A JQL subset: tokenizer, recursive-descent parser and evaluator over the store.

Grammar (keywords case-insensitive)::

    query    := [or_expr] [ORDER BY sort ("," sort)*]
    or_expr  := and_expr ((OR | "||") and_expr)*
    and_expr := not_expr ((AND | "&&") not_expr)*
    not_expr := (NOT | "!") not_expr | "(" or_expr ")" | clause
    clause   := field op operand | field (IN | NOT IN) (list | function)
              | field IS [NOT] (EMPTY | NULL)
    op       := = | != | > | >= | < | <= | ~ | !~
    operand  := string | word | function "(" [arg ("," arg)*] ")" | EMPTY | NULL

Errors raise :class:`JqlError` carrying Jira's 400 message (with line/character positions).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cmp_to_key
from typing import Any, Final

from .catalog import ISSUE_TYPES, PRIORITIES, STATUS_CATEGORIES, STATUSES, priority_rank
from .store import Dataset, IssueRecord, adf_text, relative_delta

# ---------------------------------------------------------------------------- errors


class JqlError(ValueError):
    """A JQL query Jira would answer with HTTP 400."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _where(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"(line {line}, character {col})"


VALID_OPERATORS: Final = (
    "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', "
    "'IS' and 'IS NOT'."
)


def unknown_field_message(name: str) -> str:
    return f"Field '{name}' does not exist or you do not have permission to view it."


# ---------------------------------------------------------------------------- tokens

_RESERVED_CHARS: Final = set("+;?|*/%^$#@{}&")
_SINGLE: Final = {"(": "LPAREN", ")": "RPAREN", ",": "COMMA"}
_OPS: Final = ("!=", "!~", ">=", "<=", "=", "~", ">", "<")
_KEYWORDS: Final = frozenset(
    {
        "AND",
        "OR",
        "NOT",
        "IN",
        "IS",
        "EMPTY",
        "NULL",
        "ORDER",
        "BY",
        "ASC",
        "DESC",
        "WAS",
        "CHANGED",
    }
)
_ESCAPES: Final = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "'": "'", "\\": "\\", " ": " "}


@dataclass(frozen=True)
class Token:
    kind: str  # WORD | STRING | OP | LPAREN | RPAREN | COMMA | EOF
    text: str
    pos: int

    def kw(self) -> str | None:
        """The upper-cased keyword if this is an unquoted keyword."""
        if self.kind == "WORD" and self.text.upper() in _KEYWORDS:
            return self.text.upper()
        return None

    def show(self) -> str:
        return self.text


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in _SINGLE:
            tokens.append(Token(_SINGLE[ch], ch, i))
            i += 1
            continue
        if text.startswith("&&", i) or text.startswith("||", i):
            tokens.append(Token("WORD", "AND" if ch == "&" else "OR", i))
            i += 2
            continue
        op = next((o for o in _OPS if text.startswith(o, i)), None)
        if op:
            tokens.append(Token("OP", op, i))
            i += len(op)
            continue
        if ch == "!":
            tokens.append(Token("WORD", "NOT", i))
            i += 1
            continue
        if ch in "\"'":
            start, i = i, i + 1
            buf: list[str] = []
            while i < n and text[i] != ch:
                if text[i] == "\\" and i + 1 < n:
                    nxt = text[i + 1]
                    if (
                        nxt == "u"
                        and i + 5 < n + 1
                        and re.fullmatch(r"[0-9a-fA-F]{4}", text[i + 2 : i + 6])
                    ):
                        buf.append(chr(int(text[i + 2 : i + 6], 16)))
                        i += 6
                        continue
                    buf.append(_ESCAPES.get(nxt, "\\" + nxt))
                    i += 2
                    continue
                buf.append(text[i])
                i += 1
            if i >= n:
                raise JqlError(
                    f"Error in the JQL Query: The quoted string '{''.join(buf)}' has not been "
                    f"completed. {_where(text, start)}"
                )
            tokens.append(Token("STRING", "".join(buf), start))
            i += 1
            continue
        if ch in _RESERVED_CHARS:
            raise JqlError(
                f"Error in the JQL Query: The character '{ch}' is a reserved JQL character. You "
                f"must enclose it in a string or use the escape '\\u{ord(ch):04x}' instead. "
                f"{_where(text, i)}"
            )
        start = i
        while i < n:
            c = text[i]
            if c.isspace() or c in _SINGLE or c in "\"'=!<>~" or c in _RESERVED_CHARS:
                break
            i += 1
        tokens.append(Token("WORD", text[start:i], start))
    tokens.append(Token("EOF", "", n))
    return tokens


# ---------------------------------------------------------------------------- AST


@dataclass(frozen=True)
class Operand:
    kind: str  # "value" | "empty" | "func"
    text: str
    pos: int
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Clause:
    field: str
    op: str  # = != > >= < <= ~ !~ IN "NOT IN" IS "IS NOT"
    operands: tuple[Operand, ...]
    pos: int


@dataclass(frozen=True)
class BoolOp:
    op: str  # AND | OR
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node = Clause | BoolOp | Not


@dataclass(frozen=True)
class SortField:
    field: str
    desc: bool
    pos: int


@dataclass(frozen=True)
class Query:
    where: Node | None
    order_by: tuple[SortField, ...] = ()
    text: str = ""

    @property
    def bounded(self) -> bool:
        return self.where is not None

    def clauses(self) -> list[Clause]:
        out: list[Clause] = []

        def walk(node: Node | None) -> None:
            if isinstance(node, Clause):
                out.append(node)
            elif isinstance(node, BoolOp):
                for child in node.children:
                    walk(child)
            elif isinstance(node, Not):
                walk(node.child)

        walk(self.where)
        return out


# ---------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def error(self, expecting: str, tok: Token, hint: str = "") -> JqlError:
        if tok.kind == "EOF":
            return JqlError(
                f"Error in the JQL Query: Expecting {expecting} before the end of the query.{hint}"
            )
        return JqlError(
            f"Error in the JQL Query: Expecting {expecting} but got '{tok.show()}'.{hint} "
            f"{_where(self.text, tok.pos)}"
        )

    def parse(self) -> Query:
        where: Node | None = None
        if self.tok.kind != "EOF" and self.tok.kw() != "ORDER":
            where = self.or_expr()
        order: tuple[SortField, ...] = ()
        if self.tok.kw() == "ORDER":
            self.advance()
            if self.tok.kw() != "BY":
                raise self.error("'BY'", self.tok)
            self.advance()
            order = self.order_list()
        if self.tok.kind != "EOF":
            if where is None:
                raise self.error("a field name", self.tok)
            raise self.error("either 'OR' or 'AND'", self.tok)
        return Query(where, order, self.text)

    def order_list(self) -> tuple[SortField, ...]:
        fields: list[SortField] = []
        while True:
            tok = self.tok
            if tok.kind not in ("WORD", "STRING") or tok.kw() in ("AND", "OR", "ORDER"):
                raise self.error("a field name", tok)
            self.advance()
            desc = False
            if self.tok.kw() in ("ASC", "DESC"):
                desc = self.advance().kw() == "DESC"
            fields.append(SortField(tok.text, desc, tok.pos))
            if self.tok.kind == "COMMA":
                self.advance()
                continue
            if self.tok.kind != "EOF":
                raise self.error("either ',' or the end of the query", self.tok)
            return tuple(fields)

    def or_expr(self) -> Node:
        children = [self.and_expr()]
        while self.tok.kw() == "OR":
            self.advance()
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else BoolOp("OR", tuple(children))

    def and_expr(self) -> Node:
        children = [self.not_expr()]
        while self.tok.kw() == "AND":
            self.advance()
            children.append(self.not_expr())
        return children[0] if len(children) == 1 else BoolOp("AND", tuple(children))

    def not_expr(self) -> Node:
        if self.tok.kw() == "NOT":
            self.advance()
            return Not(self.not_expr())
        if self.tok.kind == "LPAREN":
            self.advance()
            node = self.or_expr()
            if self.tok.kind != "RPAREN":
                raise self.error("')'", self.tok)
            self.advance()
            return node
        return self.clause()

    def clause(self) -> Clause:
        tok = self.tok
        if tok.kind not in ("WORD", "STRING") or (tok.kind == "WORD" and tok.kw() is not None):
            raise self.error("a field name", tok)
        self.advance()
        op = self.operator()
        if op in ("IS", "IS NOT"):
            value = self.tok
            if value.kw() not in ("EMPTY", "NULL"):
                raise self.error("'EMPTY' or 'NULL'", value)
            self.advance()
            return Clause(tok.text, op, (Operand("empty", value.text, value.pos),), tok.pos)
        if op in ("IN", "NOT IN"):
            if self.tok.kind == "LPAREN":
                self.advance()
                items = [self.operand()]
                while self.tok.kind == "COMMA":
                    self.advance()
                    items.append(self.operand())
                if self.tok.kind != "RPAREN":
                    raise self.error("')'", self.tok)
                self.advance()
                return Clause(tok.text, op, tuple(items), tok.pos)
            operand = self.operand()
            if operand.kind != "func":
                raise self.error("'('", self.tokens[self.i - 1])
            return Clause(tok.text, op, (operand,), tok.pos)
        return Clause(tok.text, op, (self.operand(),), tok.pos)

    def operator(self) -> str:
        tok = self.tok
        if tok.kind == "OP":
            self.advance()
            return tok.text
        kw = tok.kw()
        if kw == "IN":
            self.advance()
            return "IN"
        if kw == "IS":
            self.advance()
            if self.tok.kw() == "NOT":
                self.advance()
                return "IS NOT"
            return "IS"
        if kw == "NOT" and self.tokens[self.i + 1].kw() == "IN":
            self.i += 2
            return "NOT IN"
        if kw in ("WAS", "CHANGED"):
            raise JqlError(
                f"Error in the JQL Query: The operator '{kw}' is not supported by the Jira "
                f"simulator. {_where(self.text, tok.pos)}"
            )
        raise self.error("operator", tok, f" {VALID_OPERATORS}")

    def operand(self) -> Operand:
        tok = self.tok
        if tok.kind == "STRING":
            self.advance()
            return Operand("value", tok.text, tok.pos)
        if tok.kind == "WORD":
            kw = tok.kw()
            if kw in ("EMPTY", "NULL"):
                self.advance()
                return Operand("empty", tok.text, tok.pos)
            if kw is not None:
                raise self.error(
                    "either a value, list or function",
                    tok,
                    f" You must surround '{tok.text}' in quotation marks to use it as a value.",
                )
            self.advance()
            if self.tok.kind == "LPAREN":
                self.advance()
                args: list[str] = []
                while self.tok.kind != "RPAREN":
                    if self.tok.kind not in ("WORD", "STRING"):
                        raise self.error("')'", self.tok)
                    args.append(self.advance().text)
                    if self.tok.kind == "COMMA":
                        self.advance()
                self.advance()
                return Operand("func", tok.text, tok.pos, tuple(args))
            return Operand("value", tok.text, tok.pos)
        raise self.error("either a value, list or function", tok)


def parse(text: str) -> Query:
    """Parse JQL; raises :class:`JqlError` with Jira's message on a syntax error."""
    return _Parser(text or "").parse()


# ---------------------------------------------------------------------------- evaluation

_EQ_OPS: Final = frozenset({"=", "!=", "IN", "NOT IN", "IS", "IS NOT"})
_CMP_OPS: Final = frozenset({">", ">=", "<", "<="})
_TEXT_OPS: Final = frozenset({"~", "!~", "IS", "IS NOT"})


@dataclass
class JqlContext:
    dataset: Dataset
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    current_account_id: str | None = None
    # Absolute dates ("2024-05-01 10:00") are read in the caller's time zone, as Jira does.
    zone: tzinfo = UTC


Atom = Any
Predicate = Callable[[IssueRecord], bool]


@dataclass(frozen=True)
class FieldKind:
    """How one JQL field reads an issue and resolves operands."""

    name: str
    ops: frozenset[str]
    values: Callable[[IssueRecord, JqlContext], list[Atom]]
    resolve: Callable[[Operand, str, JqlContext], set[Atom]] | None = None
    order: Callable[[Atom], Any] | None = None  # makes > < usable
    text: bool = False


def _lower_name(value: Any) -> str | None:
    if isinstance(value, dict):
        for k in ("name", "value", "key", "id"):
            if value.get(k) is not None:
                return str(value[k]).lower()
        return None
    return None if value is None else str(value).lower()


def _value_error(fname: str, value: str) -> JqlError:
    return JqlError(f"The value '{value}' does not exist for the field '{fname}'.")


def _func_error(op: Operand) -> JqlError:
    return JqlError(f"Unable to find JQL function '{op.text}({', '.join(op.args)})'.")


def _plain(op: Operand, fname: str) -> str:
    if op.kind == "func":
        raise _func_error(op)
    return op.text


# --- field kinds -----------------------------------------------------------------------


def _project_values(rec: IssueRecord, ctx: JqlContext) -> list[Atom]:
    p = ctx.dataset.projects.get(rec.project_key)
    return [p.id] if p else []


def _project_resolve(op: Operand, fname: str, ctx: JqlContext) -> set[Atom]:
    text = _plain(op, fname)
    found = {
        p.id
        for p in ctx.dataset.projects.values()
        if text.lower() in (p.key.lower(), p.name.lower(), str(p.id))
    }
    if not found:
        raise _value_error(fname, text)
    return found


def _key_values(rec: IssueRecord, ctx: JqlContext) -> list[Atom]:
    return [rec.id]


def _key_resolve(op: Operand, fname: str, ctx: JqlContext) -> set[Atom]:
    text = _plain(op, fname)
    if text.isdigit():
        return {int(text)}
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*-\d+", text):
        raise JqlError(f"The issue key '{text}' for field '{fname}' is invalid.")
    rec = ctx.dataset.get_issue(text)
    if rec is None:
        raise JqlError(f"An issue with key '{text}' does not exist for field '{fname}'.")
    return {rec.id}


def _status_category_values(rec: IssueRecord, ctx: JqlContext) -> list[Atom]:
    return [rec.fields["status"]["statusCategory"]["key"]]


def _status_category_resolve(op: Operand, fname: str, ctx: JqlContext) -> set[Atom]:
    text = _plain(op, fname).lower()
    for key, cat in STATUS_CATEGORIES.items():
        if text in (key, str(cat["name"]).lower(), str(cat["id"])):
            return {key}
    raise _value_error(fname, op.text)


def _named_values(field_id: str) -> Callable[[IssueRecord, JqlContext], list[Atom]]:
    def values(rec: IssueRecord, ctx: JqlContext) -> list[Atom]:
        name = _lower_name(rec.fields.get(field_id))
        return [name] if name is not None else []

    return values


def _named_resolve(
    field_id: str, catalog: Callable[[], list[tuple[str, str]]]
) -> Callable[[Operand, str, JqlContext], set[Atom]]:
    """Resolve by name or id against the static catalog plus the values present in issues."""

    def resolve(op: Operand, fname: str, ctx: JqlContext) -> set[Atom]:
        if op.kind == "func":
            fn = op.text.lower()
            if field_id == "issuetype" and fn == "standardissuetypes":
                return {t[0].lower() for t in ISSUE_TYPES if not t[2]}
            if field_id == "issuetype" and fn == "subtaskissuetypes":
                return {t[0].lower() for t in ISSUE_TYPES if t[2]}
            raise _func_error(op)
        text = op.text.lower()
        known: dict[str, str] = {}
        for name, ident in catalog():
            known[name.lower()] = name.lower()
            known[ident.lower()] = name.lower()
        for rec in ctx.dataset.issues.values():
            value = rec.fields.get(field_id)
            if isinstance(value, dict) and value.get("name"):
                known.setdefault(str(value["name"]).lower(), str(value["name"]).lower())
                if value.get("id"):
                    known.setdefault(str(value["id"]).lower(), str(value["name"]).lower())
        if text not in known:
            raise _value_error(fname, op.text)
        return {known[text]}

    return resolve


def _resolution_values(rec: IssueRecord, ctx: JqlContext) -> list[Atom]:
    name = _lower_name(rec.fields.get("resolution"))
    return [name] if name else []


def _resolution_resolve(op: Operand, fname: str, ctx: JqlContext) -> set[Atom]:
    text = _plain(op, fname).lower()
    if text == "unresolved":
        return {None}
    if text in ("done", "10000"):
        return {"done"}
    raise _value_error(fname, op.text)


def _user_values(field_id: str) -> Callable[[IssueRecord, JqlContext], list[Atom]]:
    def values(rec: IssueRecord, ctx: JqlContext) -> list[Atom]:
        user = rec.fields.get(field_id)
        return [user["accountId"]] if isinstance(user, dict) and user.get("accountId") else []

    return values


def _user_resolve(op: Operand, fname: str, ctx: JqlContext) -> set[Atom]:
    if op.kind == "func":
        if op.text.lower() == "currentuser":
            return {ctx.current_account_id} if ctx.current_account_id else set()
        raise _func_error(op)
    user = ctx.dataset.find_user(op.text)
    if user is None:
        raise _value_error(fname, op.text)
    return {user["accountId"]}


def _list_values(field_id: str) -> Callable[[IssueRecord, JqlContext], list[Atom]]:
    def values(rec: IssueRecord, ctx: JqlContext) -> list[Atom]:
        raw = rec.fields.get(field_id) or []
        out: list[Atom] = []
        for item in raw if isinstance(raw, list) else [raw]:
            if isinstance(item, dict):
                out.extend(str(item[k]).lower() for k in ("name", "id") if item.get(k) is not None)
            else:
                out.append(str(item).lower())
        return out

    return values


def _text_resolve(op: Operand, fname: str, ctx: JqlContext) -> set[Atom]:
    return {_plain(op, fname).lower()}


def _parent_values(rec: IssueRecord, ctx: JqlContext) -> list[Atom]:
    parent = rec.fields.get("parent")
    return [int(parent["id"])] if isinstance(parent, dict) and parent.get("id") else []


def _parent_resolve(op: Operand, fname: str, ctx: JqlContext) -> set[Atom]:
    text = _plain(op, fname)
    if text.isdigit():
        return {int(text)}
    rec = ctx.dataset.get_issue(text)
    return {rec.id} if rec else set()


def _sprint_values(rec: IssueRecord, ctx: JqlContext) -> list[Atom]:
    raw = rec.fields.get(ctx.dataset.sprint_field) or []
    return [int(s["id"]) for s in raw if isinstance(s, dict) and "id" in s]


def _sprint_resolve(op: Operand, fname: str, ctx: JqlContext) -> set[Atom]:
    sprints = ctx.dataset.sprints.values()
    if op.kind == "func":
        fn = op.text.lower()
        states = {
            "opensprints": ("active", "future"),
            "closedsprints": ("closed",),
            "futuresprints": ("future",),
        }.get(fn)
        if states is None:
            raise _func_error(op)
        return {int(s["id"]) for s in sprints if s.get("state") in states}
    return {int(s["id"]) for s in ctx.dataset.find_sprints(op.text)}


def _generic_values(field_id: str) -> Callable[[IssueRecord, JqlContext], list[Atom]]:
    def values(rec: IssueRecord, ctx: JqlContext) -> list[Atom]:
        raw = rec.fields.get(field_id)
        items = raw if isinstance(raw, list) else [raw]
        return [v for v in (_lower_name(i) for i in items) if v is not None]

    return values


# --- dates -------------------------------------------------------------------------------

_DATE_FORMATS: Final = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")


def _date_values(field_id: str) -> Callable[[IssueRecord, JqlContext], list[Atom]]:
    def values(rec: IssueRecord, ctx: JqlContext) -> list[Atom]:
        dt = rec.dt(field_id)
        return [dt.replace(second=0, microsecond=0)] if dt else []

    return values


def _start_of(unit: str, now: datetime) -> datetime:
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=(day.weekday() + 1) % 7)  # weeks start on Sunday
    if unit == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def _end_of(unit: str, now: datetime) -> datetime:
    start = _start_of(unit, now)
    if unit == "day":
        nxt = start + timedelta(days=1)
    elif unit == "week":
        nxt = start + timedelta(days=7)
    elif unit == "month":
        nxt = (start + timedelta(days=32)).replace(day=1)
    else:
        nxt = start.replace(year=start.year + 1)
    return nxt - timedelta(minutes=1)


def _date_resolve(op: Operand, fname: str, ctx: JqlContext) -> set[Atom]:
    now = ctx.now.replace(second=0, microsecond=0)
    if op.kind == "func":
        fn = op.text.lower()
        base: datetime | None = None
        if fn == "now":
            base = now
        else:
            m = re.fullmatch(r"(start|end)of(day|week|month|year)", fn)
            if m:
                base = (_start_of if m.group(1) == "start" else _end_of)(m.group(2), now)
        if base is None:
            raise _func_error(op)
        if op.args:
            delta = relative_delta(op.args[0])
            if delta is None:
                raise _func_error(op)
            base += delta
        return {base}
    text = op.text.strip()
    delta = relative_delta(text)
    if delta is not None:
        return {now + delta}
    for fmt in _DATE_FORMATS:
        try:
            return {datetime.strptime(text, fmt).replace(tzinfo=ctx.zone)}
        except ValueError:
            continue
    raise JqlError(
        f"Date value '{text}' for field '{fname}' is invalid. Valid formats include: "
        "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format "
        "e.g. '-5d', '4w 2d'."
    )


# --- text --------------------------------------------------------------------------------


def _text_values(*field_ids: str) -> Callable[[IssueRecord, JqlContext], list[Atom]]:
    def values(rec: IssueRecord, ctx: JqlContext) -> list[Atom]:
        parts: list[str] = []
        for fid in field_ids:
            value = rec.fields.get(fid)
            if fid == "comment" and isinstance(value, dict):
                parts.extend(adf_text(c.get("body")) for c in value.get("comments", []))
            elif value is not None:
                parts.append(adf_text(value))
        joined = " ".join(p for p in parts if p)
        return [joined.lower()] if joined else []

    return values


def _text_match(haystack: str, needle: str) -> bool:
    terms = [t.strip("*?") for t in needle.lower().split()]
    return all(t in haystack for t in terms if t)


# --- registry ----------------------------------------------------------------------------

_EQ: Final = _EQ_OPS
_ORDERED: Final = _EQ_OPS | _CMP_OPS


def _statuses() -> list[tuple[str, str]]:
    return [(s[0], s[1]) for s in STATUSES]


def _types() -> list[tuple[str, str]]:
    return [(t[0], t[1]) for t in ISSUE_TYPES]


def _priorities() -> list[tuple[str, str]]:
    return [(p[0], p[1]) for p in PRIORITIES]


def _date(name: str, field_id: str) -> FieldKind:
    return FieldKind(name, _ORDERED, _date_values(field_id), _date_resolve, order=lambda a: a)


def _text(name: str, *field_ids: str) -> FieldKind:
    return FieldKind(name, _TEXT_OPS, _text_values(*field_ids), _text_resolve, text=True)


_FIELDS: Final[dict[str, FieldKind]] = {
    "project": FieldKind("project", _EQ, _project_values, _project_resolve),
    "issuekey": FieldKind("issuekey", _ORDERED, _key_values, _key_resolve, order=lambda a: a),
    "statuscategory": FieldKind(
        "statusCategory", _EQ, _status_category_values, _status_category_resolve
    ),
    "status": FieldKind(
        "status", _EQ, _named_values("status"), _named_resolve("status", _statuses)
    ),
    "issuetype": FieldKind(
        "issuetype", _EQ, _named_values("issuetype"), _named_resolve("issuetype", _types)
    ),
    "priority": FieldKind(
        "priority",
        _ORDERED,
        _named_values("priority"),
        _named_resolve("priority", _priorities),
        order=lambda a: priority_rank(a) or 0,
    ),
    "resolution": FieldKind("resolution", _EQ, _resolution_values, _resolution_resolve),
    "assignee": FieldKind("assignee", _EQ, _user_values("assignee"), _user_resolve),
    "reporter": FieldKind("reporter", _EQ, _user_values("reporter"), _user_resolve),
    "creator": FieldKind("creator", _EQ, _user_values("creator"), _user_resolve),
    "labels": FieldKind("labels", _EQ, _list_values("labels"), _text_resolve),
    "component": FieldKind("component", _EQ, _list_values("components"), _text_resolve),
    "fixversion": FieldKind("fixVersion", _EQ, _list_values("fixVersions"), _text_resolve),
    "affectedversion": FieldKind("affectedVersion", _EQ, _list_values("versions"), _text_resolve),
    "parent": FieldKind("parent", _EQ, _parent_values, _parent_resolve),
    "sprint": FieldKind("sprint", _EQ, _sprint_values, _sprint_resolve),
    "created": _date("created", "created"),
    "updated": _date("updated", "updated"),
    "resolved": _date("resolved", "resolutiondate"),
    "due": _date("due", "duedate"),
    "statuscategorychangeddate": _date("statusCategoryChangedDate", "statuscategorychangedate"),
    "summary": _text("summary", "summary"),
    "description": _text("description", "description"),
    "environment": _text("environment", "environment"),
    "comment": _text("comment", "comment"),
    "text": _text("text", "summary", "description", "environment", "comment"),
}

_ALIASES: Final[dict[str, str]] = {
    "key": "issuekey",
    "issue": "issuekey",
    "id": "issuekey",
    "type": "issuetype",
    "createddate": "created",
    "updateddate": "updated",
    "resolutiondate": "resolved",
    "duedate": "due",
    "fixversions": "fixversion",
    "affectsversion": "affectedversion",
    "components": "component",
    "label": "labels",
}


def field_kind(name: str, ctx: JqlContext) -> FieldKind:
    """The JQL field named ``name`` (clause names, aliases, custom fields); 400 if unknown."""
    low = name.strip().lower()
    low = _ALIASES.get(low, low)
    if low in _FIELDS:
        return _FIELDS[low]
    sprint_field = ctx.dataset.sprint_field.lower()
    m = re.fullmatch(r"cf\[(\d+)\]", low)
    custom = f"customfield_{m.group(1)}" if m else low
    if custom == sprint_field:
        return _FIELDS["sprint"]
    if custom.startswith("customfield_") and _custom_exists(custom, ctx):
        return FieldKind(name, _EQ, _generic_values(custom), _text_resolve)
    raise JqlError(unknown_field_message(name))


def _custom_exists(field_id: str, ctx: JqlContext) -> bool:
    from .catalog import field_names

    if field_id in field_names(ctx.dataset.sprint_field):
        return True
    return any(field_id in rec.fields for rec in ctx.dataset.issues.values())


# --- compile -----------------------------------------------------------------------------


def _compile_clause(clause: Clause, ctx: JqlContext) -> Predicate:
    kind = field_kind(clause.field, ctx)
    op = clause.op
    if op not in kind.ops or (op in _CMP_OPS and kind.order is None):
        raise JqlError(f"The operator '{op}' is not supported by the '{clause.field}' field.")
    values = kind.values
    if op in ("IS", "IS NOT"):
        want_empty = op == "IS"
        return lambda rec: (not values(rec, ctx)) == want_empty
    assert kind.resolve is not None
    if kind.text:
        needle = clause.operands[0]
        if needle.kind == "empty":
            raise JqlError(f"The operator '{op}' is not supported with EMPTY for '{clause.field}'.")
        text = _plain(needle, clause.field)
        contains = op == "~"
        return lambda rec: any(_text_match(v, text) for v in values(rec, ctx)) == contains
    wants_empty = any(o.kind == "empty" for o in clause.operands)
    resolved: set[Atom] = set()
    for operand in clause.operands:
        if operand.kind != "empty":
            resolved |= kind.resolve(operand, clause.field, ctx)
    if None in resolved:  # resolution = Unresolved
        resolved.discard(None)
        wants_empty = True
    if op in _CMP_OPS:
        if wants_empty or len(clause.operands) != 1:
            raise JqlError(f"The operator '{op}' is not supported with EMPTY for '{clause.field}'.")
        return _compare(clause, kind, resolved, ctx)
    if op in ("=", "IN"):

        def positive(rec: IssueRecord) -> bool:
            vals = values(rec, ctx)
            if not vals:
                return wants_empty
            return any(v in resolved for v in vals)

        return positive

    def negative(rec: IssueRecord) -> bool:  # != and NOT IN never match empty values
        vals = values(rec, ctx)
        if not vals:
            return False
        if wants_empty and not resolved:
            return True
        return not any(v in resolved for v in vals)

    return negative


def _compare(clause: Clause, kind: FieldKind, resolved: set[Atom], ctx: JqlContext) -> Predicate:
    op = clause.op
    order = kind.order
    assert order is not None
    if kind is _FIELDS["issuekey"] and not clause.operands[0].text.isdigit():
        target = ctx.dataset.get_issue(clause.operands[0].text)
        assert target is not None
        proj, num = target.project_key, target.number

        def by_key(rec: IssueRecord) -> bool:
            return rec.project_key == proj and _cmp(op, rec.number, num)

        return by_key
    if not resolved:
        return lambda rec: False
    bound = order(next(iter(resolved)))

    def pred(rec: IssueRecord) -> bool:
        return any(_cmp(op, order(v), bound) for v in kind.values(rec, ctx))

    return pred


def _cmp(op: str, left: Any, right: Any) -> bool:
    if op == ">":
        return bool(left > right)
    if op == ">=":
        return bool(left >= right)
    if op == "<":
        return bool(left < right)
    return bool(left <= right)


def compile_node(node: Node, ctx: JqlContext) -> Predicate:
    if isinstance(node, Clause):
        return _compile_clause(node, ctx)
    if isinstance(node, Not):
        inner = compile_node(node.child, ctx)
        return lambda rec: not inner(rec)
    children = [compile_node(c, ctx) for c in node.children]
    if node.op == "AND":
        return lambda rec: all(c(rec) for c in children)
    return lambda rec: any(c(rec) for c in children)


def compile_query(query: Query, ctx: JqlContext) -> Predicate:
    """A predicate for the WHERE part (validates fields, operators and values)."""
    if query.where is None:
        return lambda rec: True
    return compile_node(query.where, ctx)


def matches(jql: str, rec: IssueRecord, ctx: JqlContext) -> bool:
    """Whether one issue matches ``jql`` (an empty JQL matches everything)."""
    return compile_query(parse(jql), ctx)(rec)


# ---------------------------------------------------------------------------- ordering

SortKey = tuple[Any, ...]


def _ms(dt: datetime | None) -> int | None:
    return int(dt.timestamp() * 1000) if dt else None


def _user_name(field_id: str) -> Callable[[IssueRecord], Any]:
    def get(rec: IssueRecord) -> Any:
        user = rec.fields.get(field_id)
        return str(user.get("displayName", "")).lower() if isinstance(user, dict) else None

    return get


def _name_of(field_id: str) -> Callable[[IssueRecord], Any]:
    return lambda rec: _lower_name(rec.fields.get(field_id))


_SORTERS: Final[dict[str, Callable[[IssueRecord], Any]]] = {
    "issuekey": lambda rec: [rec.project_key, rec.number],
    "created": lambda rec: _ms(rec.dt("created")),
    "updated": lambda rec: _ms(rec.dt("updated")),
    "resolved": lambda rec: _ms(rec.dt("resolutiondate")),
    "due": lambda rec: _ms(rec.dt("duedate")),
    "statuscategorychangeddate": lambda rec: _ms(rec.dt("statuscategorychangedate")),
    "priority": lambda rec: priority_rank(_lower_name(rec.fields.get("priority"))),
    "status": _name_of("status"),
    "statuscategory": lambda rec: rec.fields["status"]["statusCategory"]["id"],
    "issuetype": _name_of("issuetype"),
    "project": lambda rec: rec.project_key,
    "summary": lambda rec: str(rec.fields.get("summary") or "").lower(),
    "assignee": _user_name("assignee"),
    "reporter": _user_name("reporter"),
    "creator": _user_name("creator"),
    "rank": lambda rec: rec.fields.get("customfield_10019") or "",
    "sprint": lambda rec: max(
        (int(s["id"]) for s in rec.fields.get("customfield_10020") or []), default=None
    ),
}


@dataclass(frozen=True)
class Ordering:
    """The ORDER BY of a query (+ ``id`` as the final tie-breaker)."""

    getters: tuple[Callable[[IssueRecord], Any], ...]
    desc: tuple[bool, ...]

    def key(self, rec: IssueRecord) -> list[Any]:
        """JSON-serialisable sort key: one ``[is_null, value]`` pair per component."""
        out: list[Any] = []
        for get in self.getters:
            value = get(rec)
            out.append([1, 0] if value is None else [0, value])
        return out

    def compare(self, a: list[Any], b: list[Any]) -> int:
        for (a_null, a_val), (b_null, b_val), desc in zip(a, b, self.desc, strict=True):
            left, right = (a_null, a_val), (b_null, b_val)
            if left == right:
                continue
            less = left < right
            return (-1 if less else 1) * (-1 if desc else 1)
        return 0

    def sort(self, recs: list[IssueRecord]) -> list[tuple[list[Any], IssueRecord]]:
        keyed: list[tuple[list[Any], IssueRecord]] = [(self.key(r), r) for r in recs]

        def by_key(x: tuple[list[Any], IssueRecord], y: tuple[list[Any], IssueRecord]) -> int:
            return self.compare(x[0], y[0])

        keyed.sort(key=cmp_to_key(by_key))
        return keyed


def ordering(query: Query, ctx: JqlContext) -> Ordering:
    getters: list[Callable[[IssueRecord], Any]] = []
    desc: list[bool] = []
    for sort in query.order_by:
        kind = field_kind(sort.field, ctx)
        low = next((k for k, v in _FIELDS.items() if v is kind), None)
        if low is None and kind.name.lower().startswith("cf["):
            low = "sprint"
        getter = _SORTERS.get(low or "")
        if getter is None:
            raise JqlError(f"Not able to sort using field '{sort.field}'.")
        if low == "sprint":
            sprint_field = ctx.dataset.sprint_field

            def getter(rec: IssueRecord, _sf: str = sprint_field) -> Any:
                return max((int(s["id"]) for s in rec.fields.get(_sf) or []), default=None)

        getters.append(getter)
        desc.append(sort.desc)
    getters.append(lambda rec: rec.id)
    desc.append(desc[-1] if desc else True)  # default: id DESC (newest first)
    return Ordering(tuple(getters), tuple(desc))
