"""X-Hub-Signature verification: Jira's WebSub `method=hex` HMAC of the raw body."""

from __future__ import annotations

import pytest

from jira.webhooks.signature import header_value, problem
from tests.webhooks.payloads import SECRET, sign

VECTOR = "sha256=a4771c39fbe90f317c7824e83ddef3caae9cb3d976c214ace1f2937e133263c9"


def test_the_documented_test_vector() -> None:
    assert sign(SECRET, b"Hello World!") == VECTOR
    assert problem(SECRET, b"Hello World!", VECTOR) is None


@pytest.mark.parametrize("method", ["sha1", "sha256", "sha512"])
def test_valid_signatures_for_each_method_read_from_the_header(method: str) -> None:
    body = b'{"webhookEvent":"jira:issue_updated"}'
    assert problem(SECRET, body, sign(SECRET, body, method)) is None


def test_method_and_hex_case_do_not_matter() -> None:
    assert problem(SECRET, b"Hello World!", VECTOR.upper().replace("SHA256", "SHA256")) is None


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("sha256", "malformed"),
        ("sha256=", "malformed"),
        ("md5=" + "0" * 32, "unsupported"),
        ("sha256=" + "0" * 64, "does not match"),
        (VECTOR.replace("sha256", "sha1"), "does not match"),
    ],
)
def test_invalid_signatures_are_rejected_with_a_reason(header: str | None, reason: str) -> None:
    found = problem(SECRET, b"Hello World!", header)
    assert found is not None and reason in found
    assert SECRET not in found


def test_a_body_changed_by_one_byte_fails() -> None:
    assert problem(SECRET, b"Hello World?", VECTOR) is not None
    assert problem(SECRET, b"Hello World! ", VECTOR) is not None


def test_another_secret_fails() -> None:
    assert problem("another secret", b"Hello World!", VECTOR) is not None


def test_headers_are_found_whatever_their_case() -> None:
    assert header_value({"X-Hub-Signature": VECTOR}) == VECTOR
    assert header_value({"x-hub-signature": VECTOR}) == VECTOR
    assert header_value({"other": "x"}) is None
