"""docs/troubleshooting.md has an entry, with a cause and a fix, for every error and warning line
the integration and its chart can print. The messages are read from the source (tests/docs/
messages.py), so a message added anywhere without an entry fails here, listing exactly which."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.docs import messages
from tests.docs.messages import DYNAMIC_SITES, code_messages, doc_entries, missing_entries


def test_every_message_in_the_code_has_an_entry() -> None:
    missing = missing_entries()
    assert not missing, (
        f"{len(missing)} message(s) have no entry in docs/troubleshooting.md; add a `### ` "
        "heading with the message in backticks (… for the parts that change), then its cause "
        "and fix (python -m tests.docs.messages prints these headings):\n"
        + "\n".join(f"  {m.where}  [{m.severity}]  {m.heading()}" for m in missing)
    )


def test_every_message_built_elsewhere_is_traced_to_its_entries() -> None:
    _, dynamic = code_messages()
    unknown = sorted({site.site for site in dynamic} - set(DYNAMIC_SITES))
    assert not unknown, (
        "these calls print a message that is not a template here; add each to "
        "tests/docs/messages.py DYNAMIC_SITES with the entries that document what it prints:\n"
        + "\n".join(f"  {site}" for site in unknown)
    )
    documented = {message for entry in doc_entries() for message in entry.messages}
    for site, entries in DYNAMIC_SITES.items():
        assert set(entries) <= documented, (site, set(entries) - documented)


def test_every_entry_says_why_and_what_to_do() -> None:
    entries = doc_entries()
    assert len(entries) >= 50
    for entry in entries:
        assert entry.messages, f"line {entry.line}: a heading without a message in backticks"
        assert "**Fix.**" in entry.body, f"line {entry.line}: {entry.messages[0]} has no fix"


# --------------------------------------------------------------------------- the extractor


SOURCE = """
from loguru import logger

class JiraThingError(Exception):
    def __init__(self, what: str) -> None:
        super().__init__(f"Jira thing {what} broke")

class Sub(JiraThingError):
    pass

def f(kind, exc, message, check):
    logger.warning(
        f"Kind {kind} is odd: "
        "it has {braces} and " + str(exc)
    )
    logger.opt(exception=exc).error(f"{kind}{exc} twice")
    logger.info(f"not an error {kind}")
    logger.warning(message)
    raise Sub(f"sub {kind}")
    raise ConfigurationError("jiraHost", f"must be {kind}")
    return Check("Jira host", Status.FAIL, f"{kind} did not answer"), Check(
        "n", Status.OK, "fine"
    )
"""


def test_the_extractor_reads_templates_however_they_are_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = tmp_path / "integrations" / "jira"
    sources.mkdir(parents=True)
    (sources / "x.py").write_text(textwrap.dedent(SOURCE))
    monkeypatch.setattr(messages, "SOURCES", sources)
    monkeypatch.setattr(messages, "CHART_TEMPLATES", tmp_path / "none")
    found, dynamic = code_messages()
    assert {(m.text, m.severity) for m in found} == {
        ("Kind … is odd: it has {braces} and …", "warning"),
        ("… twice", "error"),
        ("Jira thing … broke", "error"),
        ("sub …", "error"),
        ("Configuration error: jiraHost (…) must be …", "error"),
        ("[FAIL] Jira host: … did not answer", "error"),
    }
    assert [d.site for d in dynamic] == ["x.py | logger.warning(message)"]


def test_the_chart_messages_are_read_from_fail_and_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "_helpers.tpl").write_text(
        '{{- fail (printf "a %q is \\"bad\\"" .x) -}}\n'
        '{{ required "b is required" .Values.b | quote }}\n'
    )
    monkeypatch.setattr(messages, "SOURCES", tmp_path / "no-python")
    monkeypatch.setattr(messages, "CHART_TEMPLATES", templates)
    found, _ = code_messages()
    assert [m.text for m in found] == ['a … is "bad"', "b is required"]
