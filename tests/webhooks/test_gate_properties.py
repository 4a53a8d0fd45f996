"""Property tests: whatever headers and body a client sends, the webhook gate answers 2xx/4xx,
raises nothing, passes on only what it accepted, and logs one clean line per refusal."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loguru import logger

from jira.webhooks.gate import MAX_DEPTH, nests_deeper_than
from jira.webhooks.signature import problem
from tests.webhooks.gate_support import EVENT, build, deliver
from tests.webhooks.payloads import SECRET

PROPERTIES = settings(
    max_examples=150,
    deadline=None,  # 2 shared cores: no timing in tests
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- what a client may send --------------------------------------------------------------------

# Characters JSON must escape or that trip parsers, a lone surrogate half among them.
json_text = st.text(
    alphabet=st.sampled_from('[]{}"\\/:, ab\u00e9\u2028\U0001f600\ud83d\ude00\n\t\x00')
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | json_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(json_text, inner, max_size=4),
    max_leaves=40,
)
# Each opens one level; the strings hold brackets and escaped quotes the depth scan must skip.
OPENERS = [b"[", b'{"k":', b'[1, "]",', b'{"[{\\"":']
openers = st.tuples(
    st.lists(st.sampled_from(OPENERS), min_size=1, max_size=3), st.integers(0, 3000)
).map(lambda pattern_levels: (pattern_levels[0] * pattern_levels[1])[: pattern_levels[1]])


def close(opened: list[bytes]) -> bytes:
    return b"".join(b"]" if part.startswith(b"[") else b"}" for part in reversed(opened))


def utf8(text: str) -> bytes:
    """UTF-8, with any lone surrogate encoded as the invalid bytes a sloppy client would send."""
    return text.encode("utf-8", "surrogatepass")


def event_with(extra: bytes) -> bytes:
    return EVENT + b', "extra": ' + extra + b"}"


def keys_of(keys: tuple[str, str]) -> tuple[bytes, bytes]:
    """Two object keys as JSON strings (the same twice, now and then)."""
    return json.dumps(keys[0]).encode(), json.dumps(keys[1]).encode()


deep = openers.map(lambda opened: b"".join(opened) + b"0" + close(opened))
huge_numbers = st.one_of(
    st.integers(1, 6000).map(lambda digits: b"9" * digits),
    st.integers(-400, 400).map(lambda exponent: b"1.5e%d" % exponent),
    st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-0", b"1E+2"]),
)
boms = st.sampled_from([b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf" * 2, b"\xff\xfe", b"\xfe\xff"])
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda value: json.dumps(value).encode()),
    json_values.map(lambda value: event_with(json.dumps(value).encode())),
    json_values.map(lambda value: event_with(utf8(json.dumps(value, ensure_ascii=False)))),
    deep,
    deep.map(event_with),
    huge_numbers.map(event_with),
    st.binary(max_size=20).map(lambda raw: event_with(b'"' + raw.replace(b'"', b"") + b'"')),
    st.tuples(boms, st.sampled_from([EVENT + b"}", b"[]", b'"x"'])).map(b"".join),
    st.tuples(json_text, json_text).map(lambda keys: event_with(b"{%s: 1, %s: 2}" % keys_of(keys))),
)
header_names = st.sampled_from(
    [b"x-hub-signature", b"content-length", b"x-atlassian-webhook-identifier", b"content-type"]
) | st.binary(min_size=1, max_size=20)
methods = st.sampled_from([b"sha256", b"SHA1", b"sha512", b"md5", b"", b"sh\xe4256"])
header_values = st.one_of(
    st.binary(max_size=80),
    st.tuples(methods, st.binary(max_size=130)).map(lambda parts: parts[0] + b"=" + parts[1]),
    st.text(max_size=40).map(lambda text: text.encode("utf-8")),
    st.integers(0, 200_000).map(lambda size: b"f" * size),
    st.integers(0, 10**30).map(lambda number: str(number).encode()),
)
headers = st.lists(st.tuples(header_names, header_values), max_size=8)


def signature_of(body: bytes) -> tuple[bytes, bytes]:
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return (b"x-hub-signature", b"sha256=" + digest.encode())


def chunked(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(body), *(cut % (len(body) + 1) for cut in cuts)})
    return [body[start:end] for start, end in pairwise(points)] or [b""]


cuts = st.lists(st.integers(0, 10**6), max_size=4)

# --- what must hold ----------------------------------------------------------------------------


@contextmanager
def warnings() -> Iterator[list[str]]:
    seen: list[str] = []
    sink = logger.add(lambda line: seen.append(str(line)), level="WARNING", format="{message}")
    try:
        yield seen
    finally:
        logger.remove(sink)


def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    assert len({key for key, _ in pairs}) == len(pairs), "accepted a repeated key"
    return dict(pairs)


def not_json(name: str) -> None:
    raise AssertionError(f"accepted {name}")


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


async def answer(
    body: bytes,
    sent_headers: list[tuple[bytes, bytes]],
    chunks: list[bytes],
    secret: str | None = SECRET,
    max_body: int = 10 * 1024 * 1024,
) -> int:
    """Delivers and checks what holds for every answer; returns the status."""
    _, downstream, gate = build(secret=secret, max_body=max_body)
    with warnings() as seen:
        status = await deliver(gate, chunks, sent_headers)
    assert status in {200, 400, 401, 413}
    if status == 200:
        assert downstream.bodies == [body] and seen == []
    else:
        assert downstream.bodies == []
        assert len(seen) == 1 and seen[0].count("\n") <= 1 and len(seen[0]) < 400
        assert SECRET not in seen[0]
        if len(body) >= 16:
            assert body.decode("latin-1") not in seen[0]
    return status


@PROPERTIES
@given(body=bodies, cuts=cuts, bom=boms)
async def test_any_signed_body_is_answered_200_or_400(
    body: bytes, cuts: list[int], bom: bytes
) -> None:
    body = bom + body
    status = await answer(body, [signature_of(body)], chunked(body, cuts))
    assert status in {200, 400}
    if status == 200:  # only a strict JSON object with a handled event, within the depth limit
        payload = json.loads(body, object_pairs_hook=unique, parse_constant=not_json)
        json.dumps(payload, ensure_ascii=False).encode()  # no lone surrogate: jq would refuse it
        assert isinstance(payload, dict) and payload["webhookEvent"] == "jira:issue_updated"
        assert depth(payload) <= MAX_DEPTH


@PROPERTIES
@given(opened=openers)
async def test_the_depth_limit_is_exact(opened: list[bytes]) -> None:
    body = event_with(b"".join(opened) + b"0" + close(opened))
    status = await answer(body, [signature_of(body)], [body])
    assert status == (200 if 1 + len(opened) <= MAX_DEPTH else 400)


@PROPERTIES
@given(value=json_values, indent=st.sampled_from([None, 1]))
def test_the_depth_scan_agrees_with_the_parser(value: Any, indent: int | None) -> None:
    body = utf8(json.dumps(value, indent=indent, ensure_ascii=False))
    for limit in range(depth(value) + 2):
        assert nests_deeper_than(limit, body) == (depth(value) > limit)


@PROPERTIES
@given(sent=headers, secret=st.sampled_from([SECRET, None]), signed=st.booleans(), cuts=cuts)
async def test_any_headers_are_answered_without_5xx(
    sent: list[tuple[bytes, bytes]], secret: str | None, signed: bool, cuts: list[int]
) -> None:
    body = EVENT + b"}"
    sent_headers = [signature_of(body), *sent] if signed else sent
    await answer(body, sent_headers, chunked(body, cuts), secret=secret)


@PROPERTIES
@given(offered=header_values, body=bodies)
async def test_any_signature_but_the_right_one_is_answered_401(offered: bytes, body: bytes) -> None:
    status = await answer(body, [(b"x-hub-signature", offered)], [body])
    assert status == 401  # a random value is never the HMAC of the body


@PROPERTIES
@given(
    body=st.one_of(st.binary(max_size=2000), bodies),
    sent=headers,
    secret=st.sampled_from([SECRET, None]),
    cuts=cuts,
    max_body=st.integers(0, 1500),
)
async def test_any_request_is_answered_without_5xx(
    body: bytes, sent: list[tuple[bytes, bytes]], secret: str | None, cuts: list[int], max_body: int
) -> None:
    status = await answer(body, sent, chunked(body, cuts), secret=secret, max_body=max_body)
    if len(body) > max_body:
        assert status in {400, 401, 413}


@PROPERTIES
@given(
    header=st.one_of(st.none(), st.text(), st.text().map(lambda text: "sha256=" + text)),
    body=st.binary(max_size=200),
)
def test_the_signature_check_only_ever_answers(header: str | None, body: bytes) -> None:
    found = problem(SECRET, body, header)
    real = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert (found is None) == (header is not None and header.strip().lower() == real)
    assert found is None or SECRET not in found
