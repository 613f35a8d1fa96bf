"""Argument validators: every bad value raises the kit's own error, naming the argument."""

from __future__ import annotations

import datetime as dt
import json
import math
from fractions import Fraction

import pytest

from jslab.arguments import (
    INT32_MAX,
    INT64_MAX,
    MAX_DURATION_SECONDS,
    MAX_WAIT_SECONDS,
    UINT64_MAX,
    count,
    duration_ns,
    seconds,
    timestamp,
)
from jslab.errors import JslabError, JslabTypeError, ValidationError
from jslab.messages import check_headers, encode_payload
from jslab.names import (
    CONTROL_LINE_LIMIT,
    MAX_SUBJECT_BYTES,
    check_kv_key,
    check_publish_subject,
    check_subject,
    check_subject_length,
    max_subject_bytes,
)

NAN, INF = float("nan"), float("inf")
V = ValidationError
T = JslabTypeError


def _raises(kind, call, *fragments):
    """Assert `call` raises exactly the kit's `kind`, never a bare Python error."""
    with pytest.raises(JslabError) as info:
        call()
    err = info.value
    assert isinstance(err, kind), f"{type(err).__name__}: {err}"
    message = str(err)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


# --- seconds ------------------------------------------------------------------------------------

BAD_SECONDS = [
    # (value, keyword arguments, error type, fragment besides the name)
    (True, {}, T, "bool"),
    (False, {}, T, "bool"),
    ("5", {}, T, "wait=5"),
    ("30s", {}, T, "timedelta"),
    ("", {}, T, "str"),
    (None, {}, T, "required"),
    ([1], {}, T, "list"),
    (b"1", {}, T, "bytes"),
    (1 + 2j, {}, T, "complex"),
    (NAN, {}, V, "NaN"),
    (INF, {}, V, "infinite"),
    (-INF, {}, V, "infinite"),
    (-1, {}, V, "negative"),
    (-0.001, {}, V, "negative"),
    (dt.timedelta(seconds=-1), {}, V, "negative"),
    (1e12, {}, V, "86400"),
    (86_400.5, {}, V, "1 day"),
    (dt.timedelta(days=2), {}, V, "86400"),
    (10, {"maximum": 5}, V, "more than 5"),
    (0.5, {"minimum": 1}, V, "at least 1"),
    (1e300, {"maximum": None}, V, "292 years"),
    (MAX_DURATION_SECONDS + 1, {"maximum": None}, V, "signed 64-bit"),
    (10**400, {"maximum": None}, V, "too large"),
]


@pytest.mark.parametrize(("value", "kwargs", "kind", "fragment"), BAD_SECONDS)
def test_bad_seconds(value, kwargs, kind, fragment):
    _raises(kind, lambda: seconds("wait", value, **kwargs), "wait", fragment)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 0.0), (1, 1.0), (0.25, 0.25), (dt.timedelta(minutes=2), 120.0), (Fraction(1, 4), 0.25),
     (MAX_WAIT_SECONDS, MAX_WAIT_SECONDS)],
)
def test_good_seconds(value, expected):
    assert seconds("wait", value) == expected
    assert isinstance(seconds("wait", value), float)


def test_seconds_none_only_when_allowed():
    assert seconds("timeout", None, allow_none=True) is None
    assert seconds("timeout", 1e9, maximum=None) == 1e9


# --- duration_ns ----------------------------------------------------------------------------------

BAD_DURATIONS = [
    (1e-10, {"zero_means": "no age limit"}, V, "1 ns resolution"),
    (1e-10, {"zero_means": "no age limit"}, V, "no age limit"),
    (4e-10, {}, V, "1 ns"),
    (0.05, {"smallest": 0.1}, V, "0.1"),
    (NAN, {}, V, "NaN"),
    (INF, {}, V, "infinite"),
    (-5, {}, V, "negative"),
    (1e10, {}, V, "292 years"),
    ("1h", {}, T, "timedelta"),
    (True, {}, T, "bool"),
]


@pytest.mark.parametrize(("value", "kwargs", "kind", "fragment"), BAD_DURATIONS)
def test_bad_durations(value, kwargs, kind, fragment):
    _raises(kind, lambda: duration_ns("max_age", value, **kwargs), "max_age", fragment)


@pytest.mark.parametrize(
    ("value", "ns"),
    [(0, 0), (1e-9, 1), (0.3, 300_000_000), (0.57, 570_000_000), (1.5, 1_500_000_000),
     (dt.timedelta(microseconds=1), 1_000),
     (MAX_DURATION_SECONDS, int(MAX_DURATION_SECONDS) * 10**9)],
)
def test_durations_are_exact_nanoseconds(value, ns):
    assert duration_ns("ack_wait", value) == ns
    assert ns <= INT64_MAX


# --- count ----------------------------------------------------------------------------------------

BAD_COUNTS = [
    (True, {}, T, "bool"),
    (5.0, {}, T, "batch=5"),
    (5.5, {}, T, "float"),
    (NAN, {}, T, "float"),
    ("10", {}, T, "batch=10"),
    ("ten", {}, T, "str"),
    (None, {}, T, "required"),
    ([3], {}, T, "list"),
    (-1, {}, V, "negative"),
    (0, {"minimum": 1}, V, "at least 1"),
    (2**63, {}, V, "signed 64-bit"),
    (10**30, {}, V, "9,223,372,036,854,775,807"),
    (2**31, {"maximum": INT32_MAX}, V, "signed 32-bit"),
    (2**64, {"maximum": UINT64_MAX}, V, "unsigned 64-bit"),
    (11, {"maximum": 10}, V, "at most 10"),
    (-2, {"minimum": 1, "unlimited": -1}, V, "-1 for unlimited"),
    (0, {"minimum": 1, "unlimited": -1, "why": "the server reads 0 as unlimited"}, V,
     "reads 0 as unlimited"),
]


@pytest.mark.parametrize(("value", "kwargs", "kind", "fragment"), BAD_COUNTS)
def test_bad_counts(value, kwargs, kind, fragment):
    _raises(kind, lambda: count("batch", value, **kwargs), "batch", fragment)


def test_good_counts():
    assert count("batch", 0) == 0
    assert count("batch", INT64_MAX) == INT64_MAX
    assert count("max_msgs", -1, minimum=1, unlimited=-1) == -1
    assert count("batch", None, allow_none=True) is None

    class Integral(int):
        pass

    assert type(count("batch", Integral(3))) is int


# --- timestamp ------------------------------------------------------------------------------------

BAD_TIMES = [
    ("not a date", V, "2030-01-01T12:00:00Z"),
    ("tomorrow", V, "ISO-8601"),
    ("", V, "ISO-8601"),
    ("2030-13-01T00:00:00Z", V, "ISO-8601"),
    ("2030-01-01T25:00:00Z", V, "ISO-8601"),
    ("01/02/2030", V, "ISO-8601"),
    (1_700_000_000, T, "ambiguous"),
    (1.5, T, "ambiguous"),
    (True, T, "ambiguous"),
    (None, T, "NoneType"),
    (dt.date(2030, 1, 1), T, "without a time"),
    (dt.datetime.min.replace(tzinfo=dt.timezone(dt.timedelta(hours=5))), V, "range"),
]


@pytest.mark.parametrize(("value", "kind", "fragment"), BAD_TIMES)
def test_bad_timestamps(value, kind, fragment):
    _raises(kind, lambda: timestamp("opt_start_time", value), "opt_start_time", fragment)


UTC = dt.timezone.utc
NOON = dt.datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    ["2030-01-01T12:00:00Z", "2030-01-01T12:00:00z", "2030-01-01t12:00:00+00:00",
     "2030-01-01T14:00:00+02:00", "2030-01-01T07:00:00-0500", "2030-01-01 12:00Z",
     "2030-01-01T12:00:00.000000000Z", NOON, NOON.astimezone(dt.timezone(dt.timedelta(hours=9)))],
)
def test_good_timestamps_are_aware_utc(value):
    when = timestamp("t", value)
    assert when == NOON
    assert when.tzinfo == UTC


def test_naive_times_are_local_time():
    naive = dt.datetime(2030, 6, 1, 8, 30)
    assert timestamp("t", naive) == naive.astimezone(UTC)
    assert timestamp("t", "2030-06-01T08:30:00") == naive.astimezone(UTC)


def test_nanosecond_fractions_are_cut_to_microseconds():
    assert timestamp("t", "2030-01-01T12:00:00.123456789Z").microsecond == 123456


# --- subjects and keys ----------------------------------------------------------------------------


def test_subject_limit_is_derived_from_the_control_line():
    assert MAX_SUBJECT_BYTES == max_subject_bytes(CONTROL_LINE_LIMIT) == 3976
    assert max_subject_bytes(8192) == 8192 - (CONTROL_LINE_LIMIT - MAX_SUBJECT_BYTES)


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: check_publish_subject("a." + "x" * MAX_SUBJECT_BYTES), "3,976"),
        (lambda: check_publish_subject("é" * 2000), "4,000 bytes"),  # 2000 characters, 4000 bytes
        (lambda: check_subject("a.*." + "x" * 5000), "max_control_line"),
        (lambda: check_publish_subject("a" * 200, max_bytes=100), "at most 100"),
        (lambda: check_subject_length("a" * 11, 10), "at most 10"),
        (lambda: check_publish_subject("a.\ud800"), "UTF-8"),
    ],
)
def test_long_subjects_are_refused(call, fragment):
    _raises(V, call, "subject", fragment)


def test_subjects_at_the_limit_pass():
    subject = "a" * MAX_SUBJECT_BYTES
    assert check_publish_subject(subject) == subject
    assert check_publish_subject("a" * 5000, max_bytes=None)
    assert check_subject_length("é" * 5, 10) == "é" * 5


BAD_KEYS = [
    ("", V, "is empty"),
    ("a..b", V, "'..'"),
    (".a", V, "starts with '.'"),
    ("a.", V, "ends with '.'"),
    ("my key", V, "space"),
    ("tab\tkey", V, "whitespace"),
    ("café", V, "'é'"),
    ("a:b", V, "':'"),
    ("a#b", V, "'#'"),
    ("user.*", V, "wildcard"),
    ("user.>", V, "wildcard"),
    (42, T, "int"),
    (None, T, "NoneType"),
    (b"key", T, "bytes"),
]


@pytest.mark.parametrize(("key", "kind", "fragment"), BAD_KEYS)
def test_bad_kv_keys(key, kind, fragment):
    message = _raises(kind, lambda: check_kv_key(key), "key", fragment)
    if kind is V and "Try '" in message:
        check_kv_key(message.split("Try '")[1].split("'")[0])  # the suggestion is valid


@pytest.mark.parametrize(
    ("key", "fragment"),
    [("user.a*", "inside the token"), ("user.>.x", "last token"), ("a..*", "'..'"),
     ("user.%", "'%'")],
)
def test_bad_kv_watch_patterns(key, fragment):
    _raises(V, lambda: check_kv_key(key, wildcards=True), "key", fragment)


@pytest.mark.parametrize("key", ["user.42", "a/b=c", "A-Z_0-9", "x"])
def test_good_kv_keys(key):
    assert check_kv_key(key) == key


@pytest.mark.parametrize("key", ["user.*", "user.>", ">", "*.name"])
def test_good_kv_watch_patterns(key):
    assert check_kv_key(key, wildcards=True) == key


def test_kv_key_length():
    _raises(V, lambda: check_kv_key("k" * 101, max_bytes=100), "key", "at most 100")


# --- payloads and headers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [NAN, INF, -INF, {"t": NAN}, [1, 2, INF], {"nested": {"deep": [-INF]}}],
)
def test_payloads_with_nan_or_infinity_are_refused(data):
    _raises(V, lambda: encode_payload(data), "NaN or infinity", "JSON")


@pytest.mark.parametrize(("data", "fragment"), [(object(), "JSON-serialisable"),
                                                ({1, 2}, "set"), ("bad \ud800", "UTF-8")])
def test_unencodable_payloads_are_refused(data, fragment):
    with pytest.raises(JslabError, match="cannot publish") as info:
        encode_payload(data)
    assert fragment in str(info.value)


def test_circular_payload_is_refused():
    loop: list = []
    loop.append(loop)
    _raises(T, lambda: encode_payload(loop), "cannot publish")


def test_standard_payloads_still_encode():
    assert encode_payload({"big": 2**70, "x": 1.5}) == b'{"big": 1180591620717411303424, "x": 1.5}'
    assert json.loads(encode_payload([1, None, True])) == [1, None, True]
    assert encode_payload(None) == b""
    assert not math.isnan(json.loads(encode_payload(0.1)))


BAD_HEADERS = [
    ({"": "x"}, V, "is empty"),
    ({"Trace Id": "x"}, V, "whitespace"),
    ({"Trace:Id": "x"}, V, "':'"),
    ({"Trace\r\nX-Injected": "x"}, V, "line break"),
    ({"Trace\nId": "x"}, V, "line break"),
    ({"Tracé": "x"}, V, "'é'"),
    ({"A(b)": "x"}, V, "'('"),
    ({1: "x"}, T, "int"),
    ({None: "x"}, T, "NoneType"),
    ({"Trace-Id": "a\r\nPUB x 1"}, V, "line break"),
    ({"Trace-Id": "line\n"}, V, "line break"),
    ({"Trace-Id": " padded"}, V, "whitespace"),
    ({"Trace-Id": ["list"]}, T, "list"),
    ({"Trace-Id": None}, T, "NoneType"),
    ({"Trace-Id": b"bytes"}, T, "bytes"),
    ({"Trace-Id": True}, T, "bool"),
    (["Trace-Id", "x"], T, "dict"),
    ("Trace-Id: x", T, "dict"),
]


@pytest.mark.parametrize(("headers", "kind", "fragment"), BAD_HEADERS)
def test_bad_headers(headers, kind, fragment):
    _raises(kind, lambda: check_headers(headers), "header", fragment)


def test_good_headers():
    assert check_headers({"Trace-Id": "abc", "Nats-Msg-Id": "m-1", "N": 3, "F": 1.5}) == {
        "Trace-Id": "abc", "Nats-Msg-Id": "m-1", "N": "3", "F": "1.5"}
    assert check_headers({"X": ""}) == {"X": ""}
    assert check_headers(None) is None
