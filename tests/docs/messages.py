"""Every error and warning line the integration and its chart can print, read from the source,
and the entries of docs/troubleshooting.md they must each have.

A message is its template with every variable part written `…`:
`logger.error(f"Kind {kind_name} failed; {consequence}: {exc}")` is `Kind … failed; …: …`.
They are read with Python's parser (not a regex over the text), so a message split over lines,
joined with `+` or implicit concatenation, or built as an f-string is still one template:

- `logger.warning/error/critical/exception(...)` calls (also through `logger.opt(...)`);
- `ConfigurationError(setting, what)`: printed as `Configuration error: <setting> (<ENV>) <what>`
  and exit 2;
- `Check(name, Status.FAIL | Status.WARN, message)`: printed as `[FAIL] <name>: <message>`;
- `print(..., file=sys.stderr)`: the verdict and configuration lines (jira/exits.py);
- `warn_once(...)` and `<report>.warn(...)`: helpers that log a warning once;
- `raise E(...)` and `super().__init__(...)` of the exceptions the integration defines (their
  text ends the `Kind … failed; …: …` and `[FAIL]` lines);
- the chart's `fail "…"`, `fail (printf "…" …)` and `required "…"` messages.

A call whose message is not a template (a variable, `str(exc)`) is reported as *dynamic* with
where it is: its text comes from elsewhere, and a test asks that each such call site be named in
DYNAMIC_SITES with the place whose messages it prints, so a new one is not missed.

In docs/troubleshooting.md an entry is a `### ` heading holding the message(s) in backticks,
followed by its cause and fix. Run `python -m tests.docs.messages` for the messages that have no
entry yet, as headings ready to paste.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "integrations" / "jira"
CHART_TEMPLATES = ROOT / "charts" / "jira-integration" / "templates"
TROUBLESHOOTING = ROOT / "docs" / "troubleshooting.md"
VARIABLE = "…"
LOG_LEVELS = {"warning": "warning", "error": "error", "critical": "error", "exception": "error"}
WARNING_HELPERS = {"warn_once", "warn"}

# Call sites whose message is built elsewhere ("path | call", as ast.unparse writes the call) ->
# the entries of docs/troubleshooting.md that document what they print.
DYNAMIC_SITES: dict[str, tuple[str, ...]] = {
    "jira/checks.py | Check(name, Status.FAIL, str(exc))": (
        "Configuration error: … (…) …",
        "Jira … answered …: …",
    ),
    "jira/checks.py | Check(name, Status.WARN, message, (kind,))": (
        "[warn] Permissions of kind team: skipped: …",
    ),
    "jira/checks.py | Check(name, _STATUS[status], message, (kind,))": (
        "[FAIL] Permissions of kind …: missing …",
    ),
    # warn_once / Report.warn: their callers' templates are read as messages.
    "jira/resources.py | logger.warning(message)": (),
    "jira/webhooks/registration.py | logger.warning(message)": (),
    "jira/exits.py | print(line, file=sys.stderr)": (
        "Configuration error: … (…) …",
        "Configuration error: …: …",
    ),
    "main.py | logger.warning(_warning)": (
        "… is not a setting of this integration and is ignored: …",
    ),
    "main.py | logger.error(str(exc))": ("Configuration error: … (…) …",),
}


@dataclass(frozen=True)
class Message:
    text: str  # the template, variable parts as …
    severity: str  # "error" or "warning"
    where: str  # path:line

    def heading(self) -> str:
        return f"### `{self.text}`"


@dataclass(frozen=True)
class Dynamic:
    where: str  # path:line
    call: str

    @property
    def site(self) -> str:
        return f"{self.where.rsplit(':', 1)[0]} | {self.call}"


def _normalise(text: str) -> str:
    """Whitespace collapsed; adjacent variable parts (`{a}{b}`, `{a} {b}`) are one …."""
    text = re.sub(rf"{VARIABLE}(?:\s*{VARIABLE})+", VARIABLE, text)
    return " ".join(text.split())


def template(node: ast.expr) -> str | None:
    """The message `node` evaluates to, variables as …; None when no part of it is literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = [
            value.value if isinstance(value, ast.Constant) else VARIABLE for value in node.values
        ]
        text = "".join(str(part) for part in parts)
        return text if text.strip(VARIABLE + " ") else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = template(node.left), template(node.right)
        if left is None and right is None:
            return None
        return (left or VARIABLE) + (right or VARIABLE)
    if isinstance(node, ast.IfExp):  # "a" if x else "b": both are printed, take the first
        return template(node.body)
    return None


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _is_logger(func: ast.Attribute) -> bool:
    owner = func.value
    if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Attribute):
        owner = owner.func.value  # logger.opt(...).warning / logger.bind(...).error
    return isinstance(owner, ast.Name) and owner.id == "logger"


def _is_stderr(call: ast.Call) -> bool:
    return any(
        keyword.arg == "file" and ast.unparse(keyword.value) == "sys.stderr"
        for keyword in call.keywords
    )


def exception_classes(trees: Iterator[ast.Module]) -> set[str]:
    """The exception classes the integration defines (bases ending in Error/Exception, or
    another of its exceptions)."""
    classes: dict[str, list[str]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                classes[node.name] = [_call_name(base) for base in node.bases]
    found: set[str] = set()
    while True:
        more = {
            name
            for name, bases in classes.items()
            if name not in found
            and any(base.endswith(("Error", "Exception")) or base in found for base in bases)
        }
        if not more:
            return found
        found |= more


def _raised_class(node: ast.Call, parents: dict[ast.AST, ast.AST], own: set[str]) -> bool:
    """`raise E(...)` of one of the integration's exceptions, or its `super().__init__(...)`."""
    if isinstance(parents.get(node), ast.Raise) and _call_name(node.func) in own:
        return True
    if _call_name(node.func) == "__init__" and isinstance(node.func, ast.Attribute):
        owner = node.func.value
        if isinstance(owner, ast.Call) and _call_name(owner.func) == "super":
            scope = parents.get(node)
            while scope is not None and not isinstance(scope, ast.ClassDef):
                scope = parents.get(scope)
            return scope is not None and scope.name in own
    return False


def python_messages(path: Path, own: set[str]) -> Iterator[Message | Dynamic]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    relative = path.relative_to(SOURCES).as_posix()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        where = f"{relative}:{node.lineno}"
        name = _call_name(node.func)
        found: tuple[str, ast.expr] | None = None
        text: str | None = None
        if (
            isinstance(node.func, ast.Attribute)
            and name in LOG_LEVELS
            and _is_logger(node.func)
            and node.args
        ):
            found = (LOG_LEVELS[name], node.args[0])
        elif name in WARNING_HELPERS and node.args:
            found = ("warning", node.args[0])
        elif _raised_class(node, parents, own) and node.args and name != "ConfigurationError":
            message = template(node.args[0])
            if message is not None:  # a raise of a variable re-raises a message found elsewhere
                yield Message(_normalise(message), "error", where)
            continue
        elif name == "ConfigurationError" and len(node.args) == 2:
            setting, what = (template(arg) or VARIABLE for arg in node.args)
            text = f"Configuration error: {setting} ({VARIABLE}) {what}"
            yield Message(_normalise(text), "error", where)
            continue
        elif name == "Check" and len(node.args) >= 3:
            status = ast.unparse(node.args[1])
            if status in ("Status.OK",):
                continue
            if status not in ("Status.FAIL", "Status.WARN"):
                yield Dynamic(where, ast.unparse(node))
                continue
            label = "FAIL" if status == "Status.FAIL" else "warn"
            found = ("error" if label == "FAIL" else "warning", node.args[2])
            check_name = template(node.args[0]) or VARIABLE
            message = template(node.args[2])
            if message is None:
                yield Dynamic(where, ast.unparse(node))
                continue
            yield Message(_normalise(f"[{label}] {check_name}: {message}"), found[0], where)
            continue
        elif name == "print" and _is_stderr(node) and node.args:
            found = ("error", node.args[0])
        if found is None:
            continue
        severity, argument = found
        text = template(argument)
        if text is None:
            yield Dynamic(where, ast.unparse(node))
        else:
            yield Message(_normalise(text), severity, where)


# fail "text" | fail (printf "text" ...) | required "text" ...
CHART_MESSAGE = re.compile(r'\b(fail|required)\s+\(?(?:printf\s+)?"((?:[^"\\]|\\.)*)"')


def chart_messages(path: Path) -> Iterator[Message]:
    text = path.read_text("utf-8")
    for match in CHART_MESSAGE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        message = match.group(2).replace('\\"', '"')
        message = re.sub(r"%[-+ #0-9.]*[sqdvf]", VARIABLE, message)
        where = f"charts/jira-integration/templates/{path.name}:{line}"
        yield Message(_normalise(message), "error", where)


def code_messages() -> tuple[list[Message], list[Dynamic]]:
    messages: list[Message] = []
    dynamic: list[Dynamic] = []
    paths = [p for p in sorted(SOURCES.rglob("*.py")) if p.name != "import_history.py"]
    # (import_history.py is a separate tool with its own output.)
    own = exception_classes(ast.parse(path.read_text("utf-8")) for path in paths)
    for path in paths:
        for found in python_messages(path, own):
            if isinstance(found, Message):
                messages.append(found)
            else:
                dynamic.append(found)
    for path in sorted(CHART_TEMPLATES.glob("*")):
        messages.extend(chart_messages(path))
    return messages, dynamic


@dataclass(frozen=True)
class Entry:
    messages: tuple[str, ...]
    body: str
    line: int


def doc_entries(path: Path = TROUBLESHOOTING) -> list[Entry]:
    """The `### ` entries: the backticked messages of the heading, and the text below it."""
    entries: list[Entry] = []
    lines = path.read_text("utf-8").splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("### ")]
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        body = "\n".join(
            line for line in lines[start + 1 : end] if not line.startswith(("## ", "# "))
        )
        messages = tuple(_normalise(m) for m in re.findall(r"`([^`]+)`", lines[start]))
        entries.append(Entry(messages, body, start + 1))
    return entries


def missing_entries() -> list[Message]:
    documented = {message for entry in doc_entries() for message in entry.messages}
    messages, _ = code_messages()
    seen: set[str] = set()
    missing = []
    for message in messages:
        if message.text not in documented and message.text not in seen:
            seen.add(message.text)
            missing.append(message)
    return missing


def main() -> int:
    missing = missing_entries()
    for message in missing:
        print(f"{message.heading()}\n\n<!-- {message.severity}, {message.where} -->\n")
    print(f"{len(missing)} message(s) without an entry in docs/troubleshooting.md", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
