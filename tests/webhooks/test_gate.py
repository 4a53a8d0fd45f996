"""The HTTP gate in front of Ocean's webhook route, driven through a tiny Starlette app."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from jira.webhooks.answers import NotTaken
from jira.webhooks.dedupe import RecentIds
from jira.webhooks.gate import MAX_DEPTH
from tests.webhooks.gate_support import EVENT, PATH, build, deliver, nested, post, raw_headers
from tests.webhooks.payloads import SECRET, body_of, delivery_headers, issue_event, sign, user_event


async def test_a_valid_delivery_passes_with_its_body_byte_for_byte() -> None:
    client, downstream, _ = build()
    body = b'{ "webhookEvent" : "jira:issue_updated",\n "issue": {"id": "20001", "key": "P1-1"} }'
    response = await post(client, body, delivery_headers(body))
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert downstream.bodies == [body]


async def test_a_signed_delivery_passes_when_a_secret_is_set() -> None:
    client, downstream, _ = build(secret=SECRET)
    body = body_of(issue_event("jira:issue_created"))
    response = await post(client, body, delivery_headers(body, secret=SECRET))
    assert response.status_code == 200
    assert downstream.bodies == [body]


@pytest.mark.parametrize(
    ("signature", "reason"),
    [(None, "missing"), ("sha256=" + "0" * 64, "does not match"), ("md5=abc", "unsupported")],
)
async def test_bad_signatures_are_refused_with_401(
    warnings: list[str], signature: str | None, reason: str
) -> None:
    client, downstream, _ = build(secret=SECRET)
    body = body_of(issue_event("jira:issue_updated"))
    headers = delivery_headers(body)
    if signature:
        headers["x-hub-signature"] = signature
    response = await post(client, body, headers)
    assert response.status_code == 401
    assert reason in response.json()["reason"]
    assert downstream.bodies == []
    assert len(warnings) == 1 and reason in warnings[0]
    assert SECRET not in warnings[0] and "P1-1" not in warnings[0]


async def test_a_body_changed_after_signing_is_refused() -> None:
    client, downstream, _ = build(secret=SECRET)
    body = body_of(issue_event("jira:issue_updated"))
    headers = delivery_headers(body, secret=SECRET)
    response = await post(client, body.replace(b"P1-1", b"P1-9"), headers)
    assert response.status_code == 401 and downstream.bodies == []


async def test_an_oversized_content_length_is_refused_with_413(warnings: list[str]) -> None:
    client, downstream, _ = build(max_body=1000)
    body = body_of(issue_event("jira:issue_updated", summary="x" * 2000))
    response = await post(client, body, delivery_headers(body))
    assert response.status_code == 413
    assert downstream.bodies == [] and len(warnings) == 1


async def test_oversized_bytes_without_content_length_are_refused_with_413() -> None:
    _, downstream, gate = build(max_body=1000)
    assert await deliver(gate, [b"x" * 600, b"x" * 600], []) == 413
    assert downstream.bodies == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"issue": {"id": "1", "key": "P1-1"}}', "unsupported webhookEvent"),
        (b'{"webhookEvent": "filter_created", "filter": {"id": 1}}', "unsupported webhookEvent"),
        (b'{"webhookEvent": "sprint_started", "sprint": {}}', "missing sprint"),
        (b'{"webhookEvent": "worklog_deleted", "worklog": {"id": "1"}}', "missing worklog"),
        (b'{"webhookEvent": "comment_deleted", "comment": {"id": "5"}}', "and issue.{id, key}"),
        (b'{"webhookEvent": "jira:issue_updated", "issue": {"id": "1"}}', "missing issue"),
        (b'{"webhookEvent": "jira:issue_deleted"}', "missing issue"),
        (b'{"webhookEvent": "user_deleted", "user": {"name": "x"}}', "missing user"),
    ],
)
async def test_malformed_deliveries_are_refused_with_400(
    warnings: list[str], body: bytes, reason: str
) -> None:
    client, downstream, _ = build()
    response = await post(client, body, delivery_headers(body))
    assert response.status_code == 400
    assert reason in response.json()["reason"]
    assert downstream.bodies == []
    assert len(warnings) == 1 and reason in warnings[0]


async def test_a_repeated_delivery_id_is_answered_without_queueing() -> None:
    client, downstream, _ = build()
    body = body_of(user_event("user_updated"))
    headers = delivery_headers(body, delivery_id="delivery-1")
    first = await post(client, body, headers)
    second = await post(client, body, headers)
    assert first.status_code == 200 and first.json() == {"status": "ok"}
    assert second.status_code == 200 and second.json() == {"status": "duplicate"}
    assert len(downstream.bodies) == 1
    other = await post(client, body, delivery_headers(body, delivery_id="delivery-2"))
    assert other.json() == {"status": "ok"} and len(downstream.bodies) == 2


async def test_a_delivery_the_route_failed_to_queue_can_be_retried() -> None:
    client, downstream, _ = build()
    body = body_of(user_event("user_updated"))
    headers = delivery_headers(body, delivery_id="delivery-1")
    downstream.status = 500
    assert (await post(client, body, headers)).status_code == 500
    downstream.status = 200
    assert (await post(client, body, headers)).json() == {"status": "ok"}


async def test_a_refused_delivery_does_not_mark_its_id_as_seen() -> None:
    client, _, _ = build(secret=SECRET)
    body = body_of(user_event("user_updated"))
    await post(client, body, delivery_headers(body, delivery_id="d-1"))  # unsigned: 401
    response = await post(client, body, delivery_headers(body, secret=SECRET, delivery_id="d-1"))
    assert response.json() == {"status": "ok"}


async def test_other_paths_and_methods_are_not_guarded() -> None:
    client, downstream, _ = build(secret=SECRET)
    assert (await post(client, b"junk", {}, path="/other")).status_code == 200
    assert (await client.get(PATH)).status_code == 200
    assert downstream.bodies == [b"junk", b""]


async def test_the_duplicate_memory_is_bounded() -> None:
    recent = RecentIds(size=3)
    for n in range(5):
        assert not recent.seen_or_add(f"id-{n}")
    assert len(recent) == 3
    assert not recent.seen_or_add("id-0")  # forgotten: at worst an idempotent re-update
    assert recent.seen_or_add("id-4")


async def _chunks(body: bytes) -> AsyncIterator[bytes]:
    yield body


async def test_a_signature_over_a_streamed_body_is_checked_on_all_its_bytes() -> None:
    client, downstream, _ = build(secret=SECRET)
    body = json.dumps(issue_event("jira:issue_updated")).encode()
    headers = {"x-hub-signature": sign(SECRET, body), "content-type": "application/json"}
    response = await client.post(PATH, content=_chunks(body), headers=headers)
    assert response.status_code == 200 and downstream.bodies == [body]


# Hostile input: each is answered 4xx with one clean log line, and nothing reaches Ocean's route.

async def refused(
    warnings: list[str],
    body: bytes,
    headers: list[tuple[bytes, bytes]],
    secret: str | None = SECRET,
) -> tuple[int, str]:
    """Posts; checks nothing was passed on and one clean line was logged; returns the answer."""
    client, downstream, _ = build(secret=secret)
    response = await client.post(PATH, content=body, headers=headers)
    assert downstream.bodies == []
    assert len(warnings) == 1 and warnings[0].count("\n") <= 1 and len(warnings[0]) < 400
    assert SECRET not in warnings[0] and "P1-1" not in warnings[0]
    reason: str = response.json()["reason"]
    return response.status_code, reason


@pytest.mark.parametrize(
    "offered",
    [
        "sha256=\u00e9" + "0" * 63,  # non-ASCII: was a TypeError in compare_digest (a 500)
        "sha256=\u00fc",
        "sh\u00e4256=00",
        "sha256=" + "0" * 64 + "\x7f",
        "sha256=" + "f" * 100_000,
        "=",
    ],
    ids=["non-ascii-hex", "non-ascii-short", "non-ascii-method", "control", "huge", "bare"],
)
async def test_a_non_ascii_or_malformed_signature_is_refused_with_401(
    warnings: list[str], offered: str
) -> None:
    body = nested(2)
    status, _ = await refused(warnings, body, raw_headers(body, x_hub_signature=offered))
    assert status == 401


async def test_a_raw_non_utf8_signature_header_is_refused_with_401(warnings: list[str]) -> None:
    body = nested(2)
    headers = raw_headers(body, x_hub_signature=b"sha256=\xff\xfe" + b"0" * 62)
    assert (await refused(warnings, body, headers))[0] == 401


async def test_a_repeated_signature_is_refused_even_when_one_is_right(warnings: list[str]) -> None:
    body = nested(2)
    headers = [*raw_headers(body), (b"x-hub-signature", b"sha256=" + b"0" * 64)]
    status, reason = await refused(warnings, body, headers)
    assert status == 401 and "more than once" in reason


async def test_the_depth_limit_lets_real_payloads_through() -> None:
    client, downstream, _ = build(secret=SECRET)
    deepest = nested(MAX_DEPTH)
    response = await client.post(PATH, content=deepest, headers=raw_headers(deepest))
    assert response.status_code == 200 and downstream.bodies == [deepest]


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 900, 200_000])
async def test_a_body_nested_too_deep_is_refused_with_400(warnings: list[str], depth: int) -> None:
    # 900 passed json.loads and crashed Ocean; 200,000 was a RecursionError in the gate (and is
    # big enough to be checked in a worker thread).
    body = nested(depth)
    status, reason = await refused(warnings, body, raw_headers(body))
    assert status == 400 and f"over {MAX_DEPTH} levels" in reason


async def test_brackets_inside_strings_do_not_count_towards_the_depth() -> None:
    client, downstream, _ = build(secret=SECRET)
    body = EVENT + b', "text": "' + b'[{\\"' * 1000 + b'\\\\"}'
    assert json.loads(body)
    response = await client.post(PATH, content=body, headers=raw_headers(body))
    assert response.status_code == 200 and downstream.bodies == [body]


@pytest.mark.parametrize(
    "body",
    [
        b"\xef\xbb\xbf" + nested(2),  # a leading BOM is ignored, as JSON allows
        EVENT + b', "x": "\\ud83d\\ude00 \\\\ud800", "y": 1e308, "z": ' + b"9" * 4000 + b"}",
        EVENT + b', "x": "' + b'[\\"' * 100_000 + b'"}',  # parsed in a worker thread
    ],
    ids=["bom", "edge-values", "large"],
)
async def test_unusual_but_valid_bodies_pass(body: bytes) -> None:
    client, downstream, _ = build(secret=SECRET)
    response = await client.post(PATH, content=body, headers=raw_headers(body))
    assert response.status_code == 200 and downstream.bodies == [body]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (EVENT + b', "summary": "caf\xe9"}', "not UTF-8"),
        (EVENT.replace(b"{", b"\xfe\xff{", 1) + b"}", "not UTF-8"),
        (EVENT.decode().encode("utf-16") + b"}\x00", "not UTF-8"),
        (EVENT + b', "x": "\\ud800"}', "half a UTF-16 surrogate pair"),
        (EVENT + b', "x": {"\\uDFFF\\ud83d": 1}}', "half a UTF-16 surrogate pair"),
        (EVENT + b', "x": "\xed\xa0\x80"}', "not UTF-8"),
        (EVENT + b', "x": NaN}', "NaN"),
        (EVENT + b', "x": -Infinity}', "Infinity"),
        (EVENT + b', "x": 1e999}', "too large for a float"),
        (EVENT + b', "x": ' + b"9" * 5000 + b"}", "a number is too long"),
        (EVENT + b', "issue": {"id": "1", "key": "P1-2"}}', "repeats a key"),
        (EVENT + b"}}", "not JSON"),
        (EVENT + b', "x": "unterminated [[[}', "not JSON"),
        (b"\xef\xbb\xbf\xef\xbb\xbf" + EVENT + b"}", "not JSON"),
        (b"null", "not a JSON object"),
        (b'"jira:issue_updated"', "not a JSON object"),
        (b"12345678901234567890", "not a JSON object"),
        (b"", "not JSON"),
    ],
)
async def test_a_hostile_body_is_refused_with_400(
    warnings: list[str], body: bytes, reason: str
) -> None:
    status, said = await refused(warnings, body, raw_headers(body))
    assert status == 400 and reason in said


@pytest.mark.parametrize(
    ("length", "status", "reason"),
    [
        (b"\xb2", 400, "not a number"),  # superscript two: str.isdigit() says yes, int() says no
        (b"\xd9\xa3", 400, "not a number"),
        (b"-5", 400, "not a number"),
        (b"9" * 5000, 400, "not a number"),
        (b"99999999999999999999", 413, "over"),
        (b"10", 400, "but"),
        (b"100000", 400, "but"),
    ],
)
async def test_a_content_length_that_lies_is_refused(
    warnings: list[str], length: bytes, status: int, reason: str
) -> None:
    body = nested(2)
    answered, said = await refused(warnings, body, raw_headers(body, content_length=length))
    assert answered == status and reason in said


async def test_content_length_sent_twice_with_different_values_is_refused(
    warnings: list[str],
) -> None:
    body = nested(2)
    headers = [*raw_headers(body), (b"content-length", b"3")]
    assert (await refused(warnings, body, headers))[0] == 400


async def test_a_chunked_body_over_the_limit_is_refused_with_413_as_it_streams() -> None:
    _, downstream, gate = build(secret=SECRET, max_body=1000)
    chunks = [b"[" * 400] * 10
    headers = [(b"transfer-encoding", b"chunked"), (b"x-hub-signature", b"sha256=00")]
    assert await deliver(gate, chunks, headers) == 413
    assert downstream.bodies == []


async def test_a_delivery_id_cannot_forge_log_lines(warnings: list[str]) -> None:
    body = b"not json"
    headers = raw_headers(body, x_atlassian_webhook_identifier="d-1\nERROR forged\r\x1b[31m")
    assert (await refused(warnings, body, headers))[0] == 400
    assert "d-1ERROR forged[31m" in warnings[0]


@pytest.mark.parametrize(
    ("query", "signed", "status"),
    [
        (f"?secret={SECRET}", False, 200),  # Data Center before 10: the secret in the URL
        ("?secret=wrong", False, 401),
        ("?secret=wrong", True, 200),  # a signature, when sent, is what counts
        (f"?secret={SECRET}&x=1", False, 200),
        ("", False, 401),
    ],
)
async def test_a_secret_in_the_webhook_url_stands_in_for_a_signature(
    query: str, signed: bool, status: int
) -> None:
    client, downstream, _ = build(secret=SECRET)
    body = body_of(issue_event("jira:issue_created"))
    headers = delivery_headers(body, secret=SECRET if signed else None)
    response = await post(client, body, headers, path=PATH + query)
    assert response.status_code == status
    assert len(downstream.bodies) == (1 if status == 200 else 0)


async def test_a_delivery_that_could_not_be_applied_is_answered_503_and_can_be_retried(
    warnings: list[str],
) -> None:
    client, downstream, _ = build()
    body = body_of(user_event("user_updated"))
    headers = delivery_headers(body, delivery_id="delivery-9")
    downstream.problem = "UserWebhookProcessor for the user kind: Jira is unavailable"
    response = await post(client, body, headers)
    assert response.status_code == 503  # Jira retries 5xx
    assert response.json() == {
        "status": "retry",
        "reason": "not applied: UserWebhookProcessor for the user kind: Jira is unavailable",
    }
    assert warnings == [
        "Jira webhook delivery delivery-9 answered 503 so that Jira sends it again: not "
        "applied: UserWebhookProcessor for the user kind: Jira is unavailable"
    ]
    downstream.problem = None  # Jira's retry, with the same id, is applied this time
    retried = await post(client, body, headers)
    assert retried.status_code == 200 and retried.json() == {"status": "ok"}
    assert len(downstream.bodies) == 2


async def test_a_delivery_not_applied_in_time_is_answered_503(warnings: list[str]) -> None:
    client, downstream, _ = build(answer_within=0.05)
    downstream.finishes = False
    body = body_of(user_event("user_updated"))
    response = await post(client, body, delivery_headers(body, delivery_id="slow-1"))
    assert response.status_code == 503
    assert response.json()["reason"].startswith("not applied within 0.05 s")
    assert len(warnings) == 1 and "slow-1 answered 503" in warnings[0]


async def test_a_retry_of_a_delivery_still_being_applied_is_answered_as_the_original() -> None:
    client, downstream, _ = build()
    downstream.finishes = False  # the original is still being applied ...
    body = body_of(user_event("user_updated"))
    headers = delivery_headers(body, delivery_id="delivery-7")
    original = asyncio.create_task(post(client, body, headers))
    await downstream.arrived.wait()
    retry = asyncio.create_task(post(client, body, headers))  # ... when Jira sends it again
    await asyncio.sleep(0.05)
    assert not retry.done()  # not "duplicate" before the original is known to be applied
    [receipt] = list(downstream.receipts)
    receipt.failed(NotTaken("Port did not take 1 of its entities"))
    receipt.settle()
    assert (await original).status_code == 503
    answered = await retry
    assert answered.status_code == 503 and "Port did not take" in answered.json()["reason"]
    assert len(downstream.bodies) == 1  # the retry was not queued a second time
