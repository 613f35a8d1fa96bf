"""Name and subject checks: JetStream's rules, applied before any request is sent."""

from __future__ import annotations

import pytest

from jslab.errors import JslabError, JslabTypeError, ValidationError
from jslab.names import (
    MAX_NAME_BYTES,
    check_bucket_name,
    check_consumer_name,
    check_filter_subject,
    check_publish_subject,
    check_stream_name,
    check_subject,
    subject_matches,
    subjects_overlap,
)

GOOD_NAMES = ["ORDERS", "orders-eu", "my_orders", "Ω-stream", "a" * MAX_NAME_BYTES]

# (bad name, fragment the message must contain)
BAD_NAMES = [
    ("my orders", "contains a space"),
    ("tab\there", "whitespace"),
    ("orders.eu", "contains '.'"),
    ("orders*", "wildcard"),
    ("orders>", "wildcard"),
    ("eu/orders", "path separator"),
    ("eu\\orders", "path separator"),
    ("", "is empty"),
    ("bell\x07", "non-printable"),
    ("a" * (MAX_NAME_BYTES + 1), "256 bytes"),
    ("é" * 128, "256 bytes"),  # 128 characters but 256 bytes: the limit is in bytes
]


@pytest.mark.parametrize("check", [check_stream_name, check_consumer_name])
@pytest.mark.parametrize("name", GOOD_NAMES)
def test_good_names_pass_through(check, name):
    assert check(name) == name


@pytest.mark.parametrize("check", [check_stream_name, check_consumer_name])
@pytest.mark.parametrize(("name", "fragment"), BAD_NAMES)
def test_bad_names_are_explained(check, name, fragment):
    with pytest.raises(ValidationError) as info:
        check(name)
    message = str(info.value)
    assert fragment in message
    assert "Try " in message or "shorter name" in message
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, JslabError)


def test_stream_name_message_says_why_and_suggests_a_fix():
    with pytest.raises(ValidationError) as info:
        check_stream_name("my orders")
    message = str(info.value)
    assert message.startswith("stream name 'my orders' contains a space:")
    assert "$JS.API.STREAM.INFO.<name>" in message
    assert message.endswith("Try 'MY_ORDERS'.")
    # the suggestion itself must pass the check
    check_stream_name("MY_ORDERS")


@pytest.mark.parametrize(
    "check", [check_stream_name, check_consumer_name, check_bucket_name, check_subject]
)
@pytest.mark.parametrize("value", [42, None, b"ORDERS", ["ORDERS"]])
def test_wrong_types_raise_a_type_error(check, value):
    with pytest.raises(JslabTypeError) as info:
        check(value)
    assert isinstance(info.value, TypeError)
    assert type(value).__name__ in str(info.value)


@pytest.mark.parametrize("name", ["profiles", "user-sessions", "cache_1", "A"])
def test_good_bucket_names(name):
    assert check_bucket_name(name) == name


@pytest.mark.parametrize("name", ["", "my bucket", "a.b", "a*", "a/b", "café", "a>"])
def test_bad_bucket_names(name):
    with pytest.raises(ValidationError, match=r"letters, digits|is empty"):
        check_bucket_name(name)


GOOD_SUBJECTS = [
    "orders", "orders.new", "orders.*", "orders.*.new", "orders.>", ">", "*", "a-b.c_d",
]

# (bad subject, fragment of the message)
BAD_SUBJECTS = [
    ("", "is empty"),
    (".orders", "starts with '.'"),
    ("orders.", "ends with '.'"),
    ("orders..new", "contains '..'"),
    ("orders.>.new", "'>' before the last token"),
    ("orders.a*", "inside the token 'a*'"),
    ("orders*", "inside the token"),
    ("orders.new>", "inside the token"),
    ("orders new", "whitespace"),
    ("orders.\tnew", "whitespace"),
    ("orders.new\n", "whitespace"),
]


@pytest.mark.parametrize("subject", GOOD_SUBJECTS)
def test_good_subjects(subject):
    assert check_subject(subject) == subject
    assert check_filter_subject(subject) == subject


@pytest.mark.parametrize(("subject", "fragment"), BAD_SUBJECTS)
def test_bad_subjects_are_explained(subject, fragment):
    with pytest.raises(ValidationError) as info:
        check_subject(subject)
    assert fragment in str(info.value)
    assert "Try " in str(info.value)


@pytest.mark.parametrize(("subject", "suggestion"), [
    ("orders..new", "orders.new"),
    ("orders.>.new", "orders.>"),
    ("orders.a*", "orders.*"),
    ("orders new", "orders_new"),
])
def test_subject_suggestions_are_valid(subject, suggestion):
    with pytest.raises(ValidationError, match=f"Try '{suggestion}'"):
        check_subject(subject)
    check_subject(suggestion)


@pytest.mark.parametrize("subject", ["orders.*", "orders.>", ">", "*.new"])
def test_publish_subjects_refuse_wildcards(subject):
    with pytest.raises(ValidationError, match=r"^publish subject .* contains a wildcard"):
        check_publish_subject(subject)
    with pytest.raises(ValidationError):
        check_subject(subject, wildcards=False)


def test_publish_subject_accepts_concrete_subjects():
    assert check_publish_subject("orders.eu.new") == "orders.eu.new"


def test_what_names_the_argument():
    with pytest.raises(ValidationError, match=r"^filter subject 'a\.\.b'"):
        check_filter_subject("a..b")
    with pytest.raises(ValidationError, match=r"^deliver subject is empty"):
        check_subject("", what="deliver subject")


MATCHES = [
    ("orders.new", "orders.new", True),
    ("orders.new", "orders.old", False),
    ("orders.*", "orders.new", True),
    ("orders.*", "orders", False),
    ("orders.*", "orders.eu.new", False),
    ("orders.>", "orders.new", True),
    ("orders.>", "orders.eu.new", True),
    ("orders.>", "orders", False),
    ("*.new", "orders.new", True),
    ("*.new", "orders.old", False),
    (">", "anything.at.all", True),
    ("*", "one", True),
    ("*", "one.two", False),
    ("orders.*.new", "orders.eu.new", True),
    ("orders.*.new", "orders.eu.old", False),
]


@pytest.mark.parametrize(("filter_", "subject", "expected"), MATCHES)
def test_subject_matches(filter_, subject, expected):
    assert subject_matches(filter_, subject) is expected


OVERLAPS = [
    ("orders.new", "orders.new", True),
    ("orders.new", "orders.old", False),
    ("orders.*", "orders.new", True),
    ("orders.*", "orders.eu.new", False),
    ("orders.>", "orders.eu.new", True),
    ("orders.>", "orders", False),
    ("orders.*.new", "orders.eu.>", True),
    ("orders.*.new", "orders.*.old", False),
    ("*.new", "orders.*", True),
    (">", "a", True),
    (">", "a.b.c", True),
    ("*", "a.b", False),
    ("a.>", "b.>", False),
    ("a.*", "a.>", True),
    ("a.b.>", "a.*", False),
    ("a.*.c", "a.b.*", True),
]


@pytest.mark.parametrize(("a", "b", "expected"), OVERLAPS)
def test_subjects_overlap_is_symmetric(a, b, expected):
    assert subjects_overlap(a, b) is expected
    assert subjects_overlap(b, a) is expected


@pytest.mark.parametrize(("filter_", "subject", "expected"), MATCHES)
def test_a_concrete_subject_overlaps_exactly_the_filters_that_match_it(filter_, subject, expected):
    assert subjects_overlap(filter_, subject) is expected
