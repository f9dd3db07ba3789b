"""Slack request signing (v0), timestamp window and replay protection."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaplens.integrations.slack import (
    MAX_REQUEST_AGE_SECONDS,
    ReplayGuard,
    ReplayStore,
    SlackNotConfigured,
    SlackRequestRejected,
    authenticate_request,
    verify_request,
)
from tests.integrations.slack_payloads import (
    LITERAL_BODY,
    SECRET,
    SLACK_DOC_BODY,
    SLACK_DOC_SECRET,
    SLACK_DOC_SIGNATURE,
    SLACK_DOC_TIMESTAMP,
    signed_headers,
    slack_signature,
    slash_body,
)

NOW = 1_760_000_000
BODY = slash_body("friction copilot code-review: it invents APIs and I spend 20 minutes fixing")


def rejected(
    headers: Mapping[str, str], body: bytes = BODY, now: float = NOW, secret: str = SECRET
) -> SlackRequestRejected:
    with pytest.raises(SlackRequestRejected) as caught:
        verify_request(secret, headers, body, now)
    return caught.value


# --- valid requests ---------------------------------------------------------------------------


def test_realistic_signed_request_passes() -> None:
    verify_request(SECRET, signed_headers(BODY, NOW), BODY, NOW)
    verify_request(SECRET, signed_headers(LITERAL_BODY, NOW), LITERAL_BODY, NOW + 2.5)


def test_slacks_documented_example_verifies() -> None:
    headers = {
        "X-Slack-Request-Timestamp": SLACK_DOC_TIMESTAMP,
        "X-Slack-Signature": SLACK_DOC_SIGNATURE,
    }
    # Our independent signer agrees with Slack's published value ...
    assert slack_signature(SLACK_DOC_SECRET, SLACK_DOC_TIMESTAMP, SLACK_DOC_BODY) == (
        SLACK_DOC_SIGNATURE
    )
    # ... and the code under test accepts it, a little after it was sent.
    verify_request(SLACK_DOC_SECRET, headers, SLACK_DOC_BODY, int(SLACK_DOC_TIMESTAMP) + 3)


@pytest.mark.parametrize(
    ("sig_name", "ts_name"),
    [
        ("X-Slack-Signature", "X-Slack-Request-Timestamp"),
        ("x-slack-signature", "x-slack-request-timestamp"),
        ("X-SLACK-SIGNATURE", "X-SLACK-REQUEST-TIMESTAMP"),
    ],
)
def test_header_names_are_case_insensitive(sig_name: str, ts_name: str) -> None:
    headers = {ts_name: SLACK_DOC_TIMESTAMP, sig_name: SLACK_DOC_SIGNATURE}
    verify_request(SLACK_DOC_SECRET, headers, SLACK_DOC_BODY, int(SLACK_DOC_TIMESTAMP))


@pytest.mark.parametrize("age", [-MAX_REQUEST_AGE_SECONDS, 0, MAX_REQUEST_AGE_SECONDS])
def test_window_edges_are_accepted(age: int) -> None:
    verify_request(SECRET, signed_headers(BODY, NOW - age), BODY, NOW)


# --- forged, tampered, stale ------------------------------------------------------------------


def test_forged_signature_is_rejected() -> None:
    headers = signed_headers(BODY, NOW)
    headers["x-slack-signature"] = "v0=" + "0123456789abcdef" * 4
    problem = rejected(headers)
    assert problem.status == 401


def test_every_one_byte_change_to_the_body_is_rejected() -> None:
    headers = {
        "X-Slack-Request-Timestamp": SLACK_DOC_TIMESTAMP,
        "X-Slack-Signature": SLACK_DOC_SIGNATURE,
    }
    now = int(SLACK_DOC_TIMESTAMP)
    for i in range(len(SLACK_DOC_BODY)):
        tampered = bytearray(SLACK_DOC_BODY)
        tampered[i] ^= 0x01
        problem = rejected(headers, bytes(tampered), now, SLACK_DOC_SECRET)
        assert problem.status == 401
    assert rejected(headers, SLACK_DOC_BODY + b"&", now, SLACK_DOC_SECRET).status == 401
    assert rejected(headers, SLACK_DOC_BODY[:-1], now, SLACK_DOC_SECRET).status == 401


def test_text_swapped_in_a_signed_body_is_rejected() -> None:
    headers = signed_headers(BODY, NOW)
    other = slash_body("working copilot code-review: it is great")
    assert rejected(headers, other).status == 401


def test_wrong_secret_is_rejected() -> None:
    headers = signed_headers(BODY, NOW, secret="another-apps-signing-secret-0000")
    assert rejected(headers).status == 401


def test_timestamp_changed_after_signing_is_rejected() -> None:
    headers = signed_headers(BODY, NOW - 200)
    headers["x-slack-request-timestamp"] = str(NOW)
    assert rejected(headers).status == 401


@pytest.mark.parametrize("offset", [MAX_REQUEST_AGE_SECONDS + 1, 3600, 10**9])
def test_stale_request_is_rejected(offset: int) -> None:
    problem = rejected(signed_headers(BODY, NOW - offset))
    assert problem.status == 401
    assert "window" in problem.reason


@pytest.mark.parametrize("offset", [MAX_REQUEST_AGE_SECONDS + 1, 3600])
def test_future_request_is_rejected(offset: int) -> None:
    assert rejected(signed_headers(BODY, NOW + offset)).status == 401


def test_stale_check_uses_fractional_now() -> None:
    headers = signed_headers(BODY, NOW)
    verify_request(SECRET, headers, BODY, NOW + 300.0)
    assert rejected(headers, now=NOW + 300.001).status == 401


def test_nan_clock_refuses() -> None:
    assert rejected(signed_headers(BODY, NOW), now=float("nan")).status == 401


# --- missing and malformed headers ------------------------------------------------------------


@pytest.mark.parametrize("missing", ["x-slack-signature", "x-slack-request-timestamp"])
def test_missing_header_is_rejected(missing: str) -> None:
    headers = signed_headers(BODY, NOW)
    del headers[missing]
    assert rejected(headers).status == 401


def test_no_headers_at_all_is_rejected() -> None:
    assert rejected({}).status == 401


@pytest.mark.parametrize(
    "timestamp",
    [
        "",
        "abc",
        "1760000000.5",
        "-1760000000",
        "+1760000000",
        "1_760_000_000",
        "1e9",
        "0x68e7b400",
        "١٧٦٠٠٠٠٠٠٠",  # Arabic-Indic digits: int() would take them
        "1760000000 1760000000",
        "9" * 400,
    ],
)
def test_non_integer_timestamp_is_rejected_as_malformed(timestamp: str) -> None:
    headers = signed_headers(BODY, NOW)
    headers["x-slack-request-timestamp"] = timestamp
    problem = rejected(headers)
    assert problem.status == 400


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: s.upper(),  # Slack sends lower-case hex
        lambda s: s.replace("v0=", "v1="),
        lambda s: s[3:],
        lambda s: s[:-1],
        lambda s: s + "0",
        lambda s: s + ",v0=" + "0" * 64,
        lambda s: "",
    ],
)
def test_malformed_signature_is_rejected(mangle: object) -> None:
    assert callable(mangle)
    headers = signed_headers(BODY, NOW)
    headers["x-slack-signature"] = mangle(headers["x-slack-signature"])
    assert rejected(headers).status == 401


def test_surrounding_whitespace_in_header_values_is_tolerated() -> None:
    headers = signed_headers(BODY, NOW)
    headers = {k: f" {v}\t" for k, v in headers.items()}
    verify_request(SECRET, headers, BODY, NOW)


class MultiHeaders(Mapping[str, str]):
    """Like Starlette's Headers: items() yields every raw pair, repeats included."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def __getitem__(self, key: str) -> str:
        for k, v in self._pairs:
            if k.lower() == key.lower():
                return v
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(k for k, _ in self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        return list(self._pairs)


def test_repeated_header_with_different_values_is_rejected() -> None:
    good = signed_headers(BODY, NOW)
    pairs = [*good.items(), ("X-Slack-Signature", "v0=" + "f" * 64)]
    assert rejected(MultiHeaders(pairs)).status == 400


def test_repeated_header_with_the_same_value_is_accepted() -> None:
    good = signed_headers(BODY, NOW)
    pairs = [*good.items(), ("X-Slack-Signature", good["x-slack-signature"])]
    verify_request(SECRET, MultiHeaders(pairs), BODY, NOW)


def test_lookalike_unicode_header_name_does_not_count() -> None:
    headers = signed_headers(BODY, NOW)
    headers["x-slac\u212a-signature"] = headers.pop("x-slack-signature")  # Kelvin sign
    assert rejected(headers).status == 401


def test_rejection_reason_never_echoes_request_content() -> None:
    headers = signed_headers(BODY, NOW)
    forged = "v0=" + "ab" * 32
    headers["x-slack-signature"] = forged
    problem = rejected(headers)
    text = f"{problem} {problem.reason!r} {problem.args!r}"
    assert forged not in text and SECRET not in text and "copilot" not in text


# --- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize("secret", ["", "   ", f"{SECRET}\n", f" {SECRET}"])
def test_unusable_secret_is_a_configuration_error(secret: str) -> None:
    with pytest.raises(SlackNotConfigured):
        verify_request(secret, signed_headers(BODY, NOW), BODY, NOW)
    assert not issubclass(SlackNotConfigured, SlackRequestRejected)


# --- replay -----------------------------------------------------------------------------------


def test_replay_inside_the_window_is_rejected() -> None:
    guard = ReplayGuard()
    headers = signed_headers(BODY, NOW)
    authenticate_request(SECRET, headers, BODY, NOW, guard)
    with pytest.raises(SlackRequestRejected) as caught:
        authenticate_request(SECRET, headers, BODY, NOW + 120, guard)
    assert caught.value.status == 409
    assert caught.value.reason == "replayed request"


def test_same_body_resigned_at_a_new_timestamp_is_accepted() -> None:
    guard = ReplayGuard()
    authenticate_request(SECRET, signed_headers(BODY, NOW), BODY, NOW, guard)
    authenticate_request(SECRET, signed_headers(BODY, NOW + 1), BODY, NOW + 1, guard)
    assert len(guard) == 2


def test_replay_after_the_window_is_refused_as_stale() -> None:
    guard = ReplayGuard()
    headers = signed_headers(BODY, NOW)
    authenticate_request(SECRET, headers, BODY, NOW, guard)
    with pytest.raises(SlackRequestRejected) as caught:
        authenticate_request(SECRET, headers, BODY, NOW + 301, guard)
    assert caught.value.status == 401


def test_forged_requests_never_reach_the_guard() -> None:
    guard = ReplayGuard()
    headers = signed_headers(BODY, NOW, secret="not-our-secret")
    with pytest.raises(SlackRequestRejected):
        authenticate_request(SECRET, headers, BODY, NOW, guard)
    assert len(guard) == 0


def test_guard_prunes_expired_entries() -> None:
    guard = ReplayGuard(window_seconds=300)
    for i in range(5):
        guard.check_and_remember(f"v0={i:064x}", NOW + i, NOW + i)
    assert len(guard) == 5
    guard.check_and_remember("v0=" + "e" * 64, NOW + 302, NOW + 302)
    # entries with timestamp NOW and NOW+1 expired at NOW+300 and NOW+301
    assert len(guard) == 4


def test_guard_rejects_timestamps_outside_its_window_on_its_own() -> None:
    guard = ReplayGuard()
    with pytest.raises(SlackRequestRejected) as caught:
        guard.check_and_remember("v0=" + "a" * 64, NOW - 301, NOW)
    assert caught.value.status == 401
    assert len(guard) == 0


def test_guard_memory_is_bounded_evicting_the_oldest() -> None:
    guard = ReplayGuard(max_entries=3)
    for i in range(10):
        guard.check_and_remember(f"sig-{i}", NOW - 10 + i, NOW)
    assert len(guard) == 3
    # the three newest are still remembered, the oldest were evicted
    for i in (7, 8, 9):
        with pytest.raises(SlackRequestRejected):
            guard.check_and_remember(f"sig-{i}", NOW - 10 + i, NOW)
    guard.check_and_remember("sig-0", NOW - 10, NOW)


def test_guard_is_thread_safe_exactly_one_wins() -> None:
    guard = ReplayGuard()
    barrier = threading.Barrier(16)
    outcomes: list[int] = []
    lock = threading.Lock()

    def attempt() -> None:
        barrier.wait()
        try:
            guard.check_and_remember("v0=" + "c" * 64, NOW, NOW)
            status = 200
        except SlackRequestRejected as exc:
            status = exc.status
        with lock:
            outcomes.append(status)

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == [200] + [409] * 15


def test_guard_implements_the_replay_store_protocol() -> None:
    store: ReplayStore = ReplayGuard()
    store.check_and_remember("v0=" + "d" * 64, NOW, NOW)


@pytest.mark.parametrize(
    "kwargs", [{"window_seconds": 0}, {"window_seconds": 299}, {"max_entries": 0}]
)
def test_guard_refuses_nonsense_limits(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        ReplayGuard(**kwargs)


# --- properties -------------------------------------------------------------------------------

header_names = st.sampled_from(
    [
        "X-Slack-Signature",
        "x-slack-signature",
        "X-Slack-Request-Timestamp",
        "x-slack-request-timestamp",
        "content-type",
    ]
) | st.text(max_size=30)
header_values = (
    st.text(max_size=80)
    | st.integers(min_value=-(10**12), max_value=10**12).map(str)
    | st.integers(min_value=NOW - 400, max_value=NOW + 400).map(str)  # inside the window
    | st.binary(min_size=32, max_size=32).map(lambda b: "v0=" + b.hex())
)


@settings(max_examples=200, deadline=None)
@given(
    body=st.binary(max_size=512),
    headers=st.dictionaries(header_names, header_values, max_size=6),
    now=st.just(NOW) | st.integers(min_value=0, max_value=2**40),
)
def test_arbitrary_input_only_ever_raises_slack_request_rejected(
    body: bytes, headers: dict[str, str], now: int
) -> None:
    try:
        verify_request(SECRET, headers, body, now)
    except SlackRequestRejected as exc:
        assert exc.status in (400, 401)
    else:  # pragma: no cover - would mean a forged signature was accepted
        pytest.fail("an unsigned request was accepted")


@settings(max_examples=100, deadline=None)
@given(body=st.binary(max_size=1024), age=st.integers(-300, 300))
def test_any_body_signed_by_slack_verifies(body: bytes, age: int) -> None:
    verify_request(SECRET, signed_headers(body, NOW - age), body, NOW)
