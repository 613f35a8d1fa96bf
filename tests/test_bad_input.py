"""Bad input to every public call: a jslab error that names the problem, and nothing changes.

Each case runs against one module-wide bundled server holding a known state: a stream ORDERS
on ``orders.>`` with 3 messages and a durable pull consumer ``shipping``, a key-value bucket
``settings`` (key ``color``), an object store ``files`` (object ``a.txt``) and a stream PROBE
used only to prove the lab still works. For every case the test checks that

* the call raised a jslab error (a ``JslabError``; never a raw ValueError, TypeError,
  JSONDecodeError, OverflowError, AttributeError...), of the expected kind,
* its message names the offending argument (``message_contains``, case-insensitive; a tuple
  means any one of the fragments),
* the server state read back with a second, independent connection (every stream's
  messages/first/last, every consumer's delivered/ack floor/ack pending, the stream and
  consumer names) is exactly what it was before the call,
* the lab still works afterwards (a publish and a stream_info).

The state is rebuilt only when a case changed it, and the lab under test is replaced only
when a case left it unusable, so the whole table runs in seconds.
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from jslab._loop import EventLoopThread
from jslab.errors import (
    ClosedError,
    ConsumerNotFoundError,
    JetStreamError,
    JslabError,
    JslabTypeError,
    NoRespondersError,
    StreamNotFoundError,
    ValidationError,
)
from jslab.lab import Lab
from jslab.server import LocalServer

NAN = float("nan")
INF = float("inf")
MIB = 1024 * 1024

#: Bad input the kit itself should catch, before any request.
INPUT = (ValidationError, JslabTypeError)
#: Either the kit catches it, or the server refuses it with a JetStream error.
INPUT_OR_SERVER = (ValidationError, JslabTypeError, JetStreamError)

CALL_LIMIT_S = 12.0  # a call that has not returned by then counts as hung
LAB_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Case:
    """One bad call: ``call(lab, ctx)`` must raise ``error_type`` naming ``message_contains``.

    ``setup(lab, env)`` runs first (its changes are part of the "before" state) and returns
    the ``ctx`` handed to ``call``.
    """

    id: str
    call: Callable[[Lab, Any], Any]
    error_type: type | tuple[type, ...]
    message_contains: str | tuple[str, ...]
    setup: Callable[[Lab, Any], Any] | None = None


CASES: list[Case] = []


def case(id: str, call, error_type, message_contains, setup=None) -> None:
    CASES.append(Case(id, call, error_type, message_contains, setup))


# ============================================================================ value tables
BAD_NAMES = [
    ("space", "my orders"),
    ("dot", "ORD.ERS"),
    ("star", "ORD*"),
    ("gt", "ORD>"),
    ("empty", ""),
    ("none", None),
    ("int", 42),
    ("bytes", b"ORDERS"),
    ("too_long", "A" * 256),
    ("unicode_too_long", "\u00e9" * 128),  # 128 characters, 256 bytes
    ("unicode_nbsp", "ORD\u00a0ERS"),
    ("zero_width", "ORD\u200bERS"),
    ("slash", "ORD/ERS"),
    ("backslash", "ORD\\ERS"),
    ("tab", "ORD\tERS"),
    ("newline", "ORD\nERS"),
]
SHORT_BAD_NAMES = [
    (k, v) for k, v in BAD_NAMES if k in ("space", "dot", "gt", "empty", "none", "slash")
]

LONG_SUBJECT = "orders." + "x" * 5000
BAD_SUBJECTS = [  # bad anywhere a subject goes
    ("empty_token", "orders..x"),
    ("leading_dot", ".orders.x"),
    ("trailing_dot", "orders.x."),
    ("space", "orders. x"),
    ("tab", "orders.\tx"),
    ("crlf", "orders.x\r\n"),
    ("empty", ""),
    ("gt_not_last", "orders.>.x"),
    ("5000_chars", LONG_SUBJECT),
    ("int", 42),
    ("none", None),
    ("bytes", b"orders.x"),
]
WILDCARD_SUBJECTS = [("star", "orders.*"), ("gt", "orders.>"), ("star_inside", "orders.x*")]
SHORT_BAD_SUBJECTS = [
    (k, v) for k, v in BAD_SUBJECTS
    if k in ("empty_token", "space", "crlf", "gt_not_last", "5000_chars", "none")
]

BAD_HEADERS = [
    ("value_list", {"Trace": ["x"]}),
    ("value_none", {"Trace": None}),
    ("value_crlf", {"Trace": "x\r\nEvil: 1"}),
    ("value_lf", {"Trace": "x\ny"}),
    ("name_empty", {"": "x"}),
    ("name_colon", {"Tr:ace": "x"}),
    ("name_space", {"Tr ace": "x"}),
    ("name_int", {5: "x"}),
    ("not_a_mapping", "Trace: x"),
]

BAD_PAYLOADS = [
    ("nan", {"v": NAN}),
    ("inf", {"v": INF}),
    ("nested_nan", [1, [2, NAN]]),
    ("set", {1, 2}),
    ("object", object()),
    ("datetime", {"at": _dt.datetime(2024, 1, 1)}),
    ("bytes_key", {b"k": 1}),
    ("above_max_payload", b"x" * (2 * MIB)),
]
PAYLOAD_WORDS = ("data", "payload")

BAD_TIMEOUTS = [
    ("negative", -1),
    ("zero", 0),
    ("nan", NAN),
    ("inf", INF),
    ("1e12", 1e12),
    ("str", "1s"),
    ("bool", True),
]

BAD_INT_LIMITS = [
    ("negative", -5),
    ("nan", NAN),
    ("inf", INF),
    ("2pow63", 2**63),
    ("2pow64", 2**64),
    ("bool", True),
    ("str", "10"),
    ("float", 1.5),
]

BAD_DURATIONS = [
    ("negative", -1),
    ("nan", NAN),
    ("inf", INF),
    ("1e-10", 1e-10),
    ("1e12", 1e12),
    ("bool", True),
    ("str", "1h"),
]


def _with(d: dict, **kw) -> dict:
    return {**d, **kw}


# ============================================================================ streams
for label, bad in BAD_NAMES:
    case(f"add_stream-name-{label}",
         lambda lab, _, n=bad: lab.add_stream(n, subjects=["new.>"]), INPUT, "stream name")

def _new_prefix(subject: Any) -> Any:
    """The same bad subject under ``new.`` (so it cannot overlap ORDERS' ``orders.>``)."""
    return subject.replace("orders", "new", 1) if isinstance(subject, str) else subject


for label, bad in [*BAD_SUBJECTS, ("star_inside", "orders.x*")]:
    new_subject = _new_prefix(bad)
    case(f"add_stream-subjects-{label}",
         lambda lab, _, s=new_subject: lab.add_stream("NEW", subjects=["new.ok", s]),
         INPUT, "subject")
case("add_stream-subjects-not-a-list", lambda lab, _: lab.add_stream("NEW", subjects=42),
     INPUT, "subjects")
case("add_stream-subjects-overlap-inside", lambda lab, _: lab.add_stream(
    "NEW", subjects=["new.>", "new.a"]), INPUT_OR_SERVER, "overlap")
case("add_stream-subjects-overlap-other-stream", lambda lab, _: lab.add_stream(
    "NEW", subjects=["orders.eu"]), JetStreamError, "ORDERS")

for label, bad in BAD_INT_LIMITS:
    case(f"add_stream-max_msgs-{label}",
         lambda lab, _, v=bad: lab.add_stream("NEW", subjects=["new.>"], max_msgs=v),
         INPUT, "max_msgs")
for label, bad in [("negative", -2), ("2pow63", 2**63), ("str", "1MB")]:
    case(f"add_stream-max_bytes-{label}",
         lambda lab, _, v=bad: lab.add_stream("NEW", subjects=["new.>"], max_bytes=v),
         INPUT, "max_bytes")
for label, bad in BAD_DURATIONS:
    case(f"add_stream-max_age-{label}",
         lambda lab, _, v=bad: lab.add_stream("NEW", subjects=["new.>"], max_age=v),
         INPUT, "max_age")
for label, bad in [("negative", -1), ("nan", NAN), ("inf", INF)]:
    case(f"add_stream-duplicate_window-{label}",
         lambda lab, _, v=bad: lab.add_stream("NEW", subjects=["new.>"], duplicate_window=v),
         INPUT, "duplicate_window")

STREAM_CONFIG_CASES = [
    ("retention-unknown", {"retention": "forever"}, INPUT, "retention"),
    ("retention-int", {"retention": 1}, INPUT, "retention"),
    ("storage-unknown", {"storage": "disk"}, INPUT, "storage"),
    ("discard-unknown", {"discard": "newest"}, INPUT, "discard"),
    ("compression-unknown", {"compression": "zip"}, INPUT, "compression"),
    ("num_replicas-negative", {"num_replicas": -1}, INPUT, "num_replicas"),
    ("num_replicas-str", {"num_replicas": "3"}, INPUT, "num_replicas"),
    ("num_replicas-3-single-server", {"num_replicas": 3}, INPUT_OR_SERVER, "replica"),
    ("max_msgs_per_subject-negative", {"max_msgs_per_subject": -3}, INPUT,
     "max_msgs_per_subject"),
    ("max_msg_size-str", {"max_msg_size": "1MB"}, INPUT, "max_msg_size"),
    ("first_seq-negative", {"first_seq": -1}, INPUT, "first_seq"),
    ("description-int", {"description": 5}, INPUT, "description"),
    ("metadata-int-value", {"metadata": {"team": 1}}, INPUT, "metadata"),
    ("metadata-not-a-dict", {"metadata": ["team"]}, INPUT, "metadata"),
    ("allow_direct-str", {"allow_direct": "yes"}, INPUT, "allow_direct"),
    ("typo-max_msg", {"max_msg": 5}, INPUT, "max_msg"),
    ("typo-subject", {"subject": "new.x"}, INPUT, "subject"),
    ("typo-retension", {"retension": "limits"}, INPUT, "retension"),
    ("placement-unknown-key", {"placement": {"bogus": 1}}, INPUT, "bogus"),
    ("placement-not-a-dict", {"placement": "eu"}, INPUT, "placement"),
    ("republish-unknown-key", {"republish": {"src": "new.>", "dest": "out.>", "bogus": 1}},
     INPUT, "bogus"),
    ("republish-src-x-unknown-key", {"republish": {"src": "x", "bogus": 1}}, INPUT, "bogus"),
    ("republish-missing-dest", {"republish": {"src": "new.>"}}, INPUT_OR_SERVER, "dest"),
    ("subject_transform-unknown-key",
     {"subject_transform": {"src": "new.>", "dest": "n.>", "bogus": 1}}, INPUT, "bogus"),
    ("mirror-unknown-key", {"mirror": {"name": "ORDERS", "filter": "orders.x"}}, INPUT,
     "filter"),
    ("sources-unknown-key", {"sources": [{"name": "ORDERS", "bogus": 1}]}, INPUT, "bogus"),
    ("sources-not-a-list", {"sources": "ORDERS"}, INPUT, "sources"),
    ("sealed-at-creation", {"sealed": True}, INPUT_OR_SERVER, "seal"),
    ("duplicate_window-above-max_age", {"max_age": 1, "duplicate_window": 10},
     INPUT_OR_SERVER, "duplicate"),
    ("discard_new_per_subject-without-discard-new", {"discard_new_per_subject": True},
     INPUT, "discard"),
]
for label, kw, err, frag in STREAM_CONFIG_CASES:
    case(f"add_stream-{label}",
         lambda lab, _, kw=kw: lab.add_stream("NEW", subjects=["new.>"], **kw), err, frag)
case("add_stream-existing-name-other-config",
     lambda lab, _: lab.add_stream("ORDERS", subjects=["orders.>", "more.>"]),
     JetStreamError, "ORDERS")

for label, bad in SHORT_BAD_NAMES:
    case(f"update_stream-name-{label}", lambda lab, _, n=bad: lab.update_stream(n, max_msgs=5),
         INPUT, "stream name")
case("update_stream-missing", lambda lab, _: lab.update_stream("NOPE", max_msgs=5),
     StreamNotFoundError, "NOPE")
UPDATE_STREAM_CASES = [
    ("max_msgs-negative", {"max_msgs": -5}, INPUT, "max_msgs"),
    ("max_msgs-2pow64", {"max_msgs": 2**64}, INPUT, "max_msgs"),
    ("max_age-nan", {"max_age": NAN}, INPUT, "max_age"),
    ("max_bytes-str", {"max_bytes": "1k"}, INPUT, "max_bytes"),
    ("typo-maxmsgs", {"maxmsgs": 1}, INPUT, "maxmsgs"),
    ("subjects-empty-token", {"subjects": ["orders..x"]}, INPUT, "subject"),
    ("storage-change", {"storage": "memory"}, INPUT_OR_SERVER, "storage"),
    ("retention-to-workqueue", {"retention": "workqueue"}, INPUT_OR_SERVER, "retention"),
    ("republish-unknown-key", {"republish": {"src": "orders.>", "dest": "o.>", "bogus": 1}},
     INPUT, "bogus"),
    ("placement-unknown-key", {"placement": {"bogus": 1}}, INPUT, "bogus"),
]
for label, kw, err, frag in UPDATE_STREAM_CASES:
    case(f"update_stream-{label}", lambda lab, _, kw=kw: lab.update_stream("ORDERS", **kw),
         err, frag)

for label, bad in [*SHORT_BAD_NAMES, ("star", "ORD*"), ("int", 42)]:
    case(f"delete_stream-name-{label}", lambda lab, _, n=bad: lab.delete_stream(n),
         INPUT, "stream name")
case("delete_stream-missing", lambda lab, _: lab.delete_stream("NOPE"),
     StreamNotFoundError, "NOPE")

PURGE_CASES = [
    ("keep-negative", {"keep": -1}, INPUT, "keep"),
    ("keep-str", {"keep": "1"}, INPUT, "keep"),
    ("keep-2pow64", {"keep": 2**64}, INPUT, "keep"),
    ("seq-negative", {"seq": -1}, INPUT, "seq"),
    ("seq-bool", {"seq": True}, INPUT, "seq"),
    ("keep-and-seq", {"keep": 1, "seq": 2}, INPUT, "keep"),
    ("subject-empty-token", {"subject": "orders..x"}, INPUT, "subject"),
    ("subject-int", {"subject": 5}, INPUT, "subject"),
    ("subject-space", {"subject": "orders. x"}, INPUT, "subject"),
]
for label, kw, err, frag in PURGE_CASES:
    case(f"purge_stream-{label}", lambda lab, _, kw=kw: lab.purge_stream("ORDERS", **kw),
         err, frag)
case("purge_stream-name-dot", lambda lab, _: lab.purge_stream("ORD.ERS"), INPUT, "stream name")
case("purge_stream-missing", lambda lab, _: lab.purge_stream("NOPE"),
     StreamNotFoundError, "NOPE")

for label, bad in [("dot", "ORD.ERS"), ("space", "my orders"), ("none", None)]:
    case(f"stream_info-name-{label}", lambda lab, _, n=bad: lab.stream_info(n),
         INPUT, "stream name")
case("stream_info-missing", lambda lab, _: lab.stream_info("NOPE"), StreamNotFoundError, "NOPE")
case("stream_info-subjects_filter-empty-token",
     lambda lab, _: lab.stream_info("ORDERS", subjects_filter="orders..x"),
     INPUT, "subjects_filter")
case("stream_info-subjects_filter-int",
     lambda lab, _: lab.stream_info("ORDERS", subjects_filter=5), INPUT, "subjects_filter")

# ============================================================================ stored messages
for label, bad in [("zero", 0), ("negative", -1), ("str", "1"), ("bool", True),
                   ("float", 1.0), ("2pow64", 2**64), ("nan", NAN)]:
    case(f"get_msg-seq-{label}", lambda lab, _, s=bad: lab.get_msg("ORDERS", s), INPUT, "seq")
case("get_msg-missing-seq", lambda lab, _: lab.get_msg("ORDERS", 99), JetStreamError, "99")
case("get_msg-no-seq-no-subject", lambda lab, _: lab.get_msg("ORDERS"), INPUT, "seq")
case("get_msg-subject-space", lambda lab, _: lab.get_msg("ORDERS", subject="orders. x"),
     INPUT, "subject")
case("get_msg-subject-int", lambda lab, _: lab.get_msg("ORDERS", subject=7), INPUT, "subject")
case("get_msg-next-str", lambda lab, _: lab.get_msg("ORDERS", 1, next="yes"), INPUT, "next")
case("get_msg-stream-dot", lambda lab, _: lab.get_msg("ORD.ERS", 1), INPUT, "stream name")
case("get_msg-stream-missing", lambda lab, _: lab.get_msg("NOPE", 1),
     StreamNotFoundError, "NOPE")

for label, bad in [("zero", 0), ("negative", -1), ("str", "1"), ("none", None),
                   ("2pow64", 2**64)]:
    case(f"delete_msg-seq-{label}", lambda lab, _, s=bad: lab.delete_msg("ORDERS", s),
         INPUT, "seq")
case("delete_msg-missing-seq", lambda lab, _: lab.delete_msg("ORDERS", 99),
     JetStreamError, "99")
case("delete_msg-erase-str", lambda lab, _: lab.delete_msg("ORDERS", 1, erase="no"),
     INPUT, "erase")
case("delete_msg-stream-space", lambda lab, _: lab.delete_msg("my orders", 1),
     INPUT, "stream name")

# ============================================================================ publishing
for label, bad in BAD_SUBJECTS + WILDCARD_SUBJECTS:
    case(f"publish-subject-{label}", lambda lab, _, s=bad: lab.publish(s, b"x"),
         INPUT, "subject")
case("publish-subject-no-stream", lambda lab, _: lab.publish("nowhere.x", b"x"),
     JetStreamError, "nowhere.x")
for label, bad in BAD_PAYLOADS:
    err = INPUT_OR_SERVER if label == "above_max_payload" else INPUT
    case(f"publish-data-{label}", lambda lab, _, d=bad: lab.publish("orders.x", d),
         err, PAYLOAD_WORDS)
case("publish-data-generator", lambda lab, _: lab.publish("orders.x", (i for i in range(3))),
     INPUT, PAYLOAD_WORDS)
for label, bad in BAD_HEADERS:
    case(f"publish-headers-{label}",
         lambda lab, _, h=bad: lab.publish("orders.x", b"x", headers=h), INPUT, "header")
for label, bad in BAD_TIMEOUTS:
    case(f"publish-timeout-{label}",
         lambda lab, _, t=bad: lab.publish("orders.x", b"x", timeout=t), INPUT, "timeout")
PUBLISH_OPTION_CASES = [
    ("msg_id-empty", {"msg_id": ""}, INPUT, "msg_id"),
    ("msg_id-int", {"msg_id": 5}, INPUT, "msg_id"),
    ("msg_id-crlf", {"msg_id": "a\r\nEvil: 1"}, INPUT, "msg_id"),
    ("expected_last_seq-negative", {"expected_last_seq": -1}, INPUT, "expected_last_seq"),
    ("expected_last_seq-str", {"expected_last_seq": "3"}, INPUT, "expected_last_seq"),
    ("expected_last_seq-2pow64", {"expected_last_seq": 2**64}, INPUT, "expected_last_seq"),
    ("expected_last_seq-wrong", {"expected_last_seq": 1}, JetStreamError, "sequence"),
    ("expected_stream-empty", {"expected_stream": ""}, INPUT, "expected_stream"),
    ("expected_stream-dot", {"expected_stream": "ORD.ERS"}, INPUT, "expected_stream"),
    ("expected_stream-other", {"expected_stream": "OTHER"}, JetStreamError, "stream"),
    ("expected_last_msg_id-crlf", {"expected_last_msg_id": "a\r\nb"}, INPUT,
     "expected_last_msg_id"),
    ("ttl-zero", {"ttl": 0}, INPUT, "ttl"),
    ("ttl-word", {"ttl": "soon"}, INPUT, "ttl"),
    ("ttl-nan", {"ttl": NAN}, INPUT, "ttl"),
    ("ttl-inf", {"ttl": INF}, INPUT, "ttl"),
    ("ttl-disabled-on-stream", {"ttl": 5}, INPUT_OR_SERVER, "ttl"),
]
for label, kw, err, frag in PUBLISH_OPTION_CASES:
    case(f"publish-{label}", lambda lab, _, kw=kw: lab.publish("orders.x", b"x", **kw),
         err, frag)

PM_WORDS = ("messages", "publish_many")
case("publish_many-none", lambda lab, _: lab.publish_many(None), INPUT, PM_WORDS)
case("publish_many-int", lambda lab, _: lab.publish_many(42), INPUT, PM_WORDS)
case("publish_many-payloads-none", lambda lab, _: lab.publish_many("orders.x", None),
     INPUT, "payloads")
case("publish_many-payloads-str", lambda lab, _: lab.publish_many("orders.x", "abc"),
     INPUT, "payloads")
case("publish_many-payloads-int", lambda lab, _: lab.publish_many("orders.x", 5),
     INPUT, "payloads")
case("publish_many-bad-item-in-the-middle",
     lambda lab, _: lab.publish_many([("orders.a", 1), "oops", ("orders.b", 2)]),
     INPUT, "oops")
case("publish_many-four-element-item",
     lambda lab, _: lab.publish_many([("orders.a", 1, None, "extra")]), INPUT, "extra")
case("publish_many-bad-subject-in-the-middle",
     lambda lab, _: lab.publish_many([("orders.a", 1), ("orders..b", 2), ("orders.c", 3)]),
     INPUT, "subject")
case("publish_many-wildcard-subject-in-the-middle",
     lambda lab, _: lab.publish_many([("orders.a", 1), ("orders.*", 2)]), INPUT, "subject")
case("publish_many-int-subject-in-the-middle",
     lambda lab, _: lab.publish_many([("orders.a", 1), (5, 2)]), INPUT, "subject")
case("publish_many-5000-char-subject-in-the-middle",
     lambda lab, _: lab.publish_many([("orders.a", 1), (LONG_SUBJECT, 2)]), INPUT, "subject")
case("publish_many-subject-5000-chars",
     lambda lab, _: lab.publish_many(LONG_SUBJECT, [1, 2]), INPUT, "subject")
case("publish_many-set-payload-in-the-middle",
     lambda lab, _: lab.publish_many("orders.x", [1, {1, 2}, 3]), INPUT, PAYLOAD_WORDS)
case("publish_many-nan-payload-in-the-middle",
     lambda lab, _: lab.publish_many("orders.x", [1, {"v": NAN}, 3]), INPUT, PAYLOAD_WORDS)
case("publish_many-oversized-payload-in-the-middle",
     lambda lab, _: lab.publish_many("orders.x", [b"a", b"x" * (2 * MIB), b"c"]),
     INPUT_OR_SERVER, PAYLOAD_WORDS)
case("publish_many-bad-item-headers-in-the-middle",
     lambda lab, _: lab.publish_many([("orders.a", 1), ("orders.b", 2, {"A": "x\ny"})]),
     INPUT, "header")
case("publish_many-item-headers-not-a-mapping",
     lambda lab, _: lab.publish_many([("orders.a", 1), ("orders.b", 2, ["A"])]),
     INPUT, "header")
for label in ("value_crlf", "name_colon", "not_a_mapping"):
    case(f"publish_many-headers-{label}",
         lambda lab, _, h=dict(BAD_HEADERS)[label]: lab.publish_many(
             "orders.x", [1, 2], headers=h), INPUT, "header")
case("publish_many-progress-str",
     lambda lab, _: lab.publish_many("orders.x", [1], progress="yes"), INPUT, "progress")
case("publish_many-no-stream-for-subject",
     lambda lab, _: lab.publish_many([("nowhere.x", 1)]), JetStreamError, "nowhere.x")

for label, bad in BAD_SUBJECTS + WILDCARD_SUBJECTS[:2]:
    case(f"publish_core-subject-{label}", lambda lab, _, s=bad: lab.publish_core(s, b"x"),
         INPUT, "subject")
for label in ("nan", "set", "object", "above_max_payload"):
    case(f"publish_core-data-{label}",
         lambda lab, _, d=dict(BAD_PAYLOADS)[label]: lab.publish_core("core.x", d),
         INPUT, PAYLOAD_WORDS)
for label in ("value_crlf", "name_empty", "name_colon", "value_list"):
    case(f"publish_core-headers-{label}",
         lambda lab, _, h=dict(BAD_HEADERS)[label]: lab.publish_core("core.x", b"x", headers=h),
         INPUT, "header")

for label, bad in SHORT_BAD_SUBJECTS + WILDCARD_SUBJECTS[:1]:
    case(f"request-subject-{label}", lambda lab, _, s=bad: lab.request(s, b"x", timeout=0.5),
         INPUT, "subject")
for label, bad in BAD_TIMEOUTS:
    case(f"request-timeout-{label}",
         lambda lab, _, t=bad: lab.request("svc.none", b"x", timeout=t), INPUT, "timeout")
for label in ("object", "nan", "above_max_payload"):
    case(f"request-data-{label}",
         lambda lab, _, d=dict(BAD_PAYLOADS)[label]: lab.request("svc.none", d, timeout=0.5),
         INPUT, PAYLOAD_WORDS)
for label in ("value_crlf", "name_empty"):
    case(f"request-headers-{label}",
         lambda lab, _, h=dict(BAD_HEADERS)[label]: lab.request(
             "svc.none", b"x", headers=h, timeout=0.5), INPUT, "header")
case("request-no-responders", lambda lab, _: lab.request("svc.none", b"x", timeout=0.5),
     NoRespondersError, "svc.none")

for label, bad in BAD_SUBJECTS:
    case(f"subscribe_core-subject-{label}", lambda lab, _, s=bad: lab.subscribe_core(s),
         INPUT, "subject")
# A queue group name may contain dots (NATS refuses only whitespace), so "q.w" is not bad input.
for label, bad in [("space", "q w"), ("empty", ""), ("int", 5)]:
    case(f"subscribe_core-queue-{label}",
         lambda lab, _, q=bad: lab.subscribe_core("core.>", queue=q), INPUT, "queue")

for label, bad in [("empty_token", "svc..x"), ("none", None), ("5000_chars", LONG_SUBJECT)]:
    case(f"respond-subject-{label}", lambda lab, _, s=bad: lab.respond(s, lambda d: d),
         INPUT, "subject")
case("respond-handler-none", lambda lab, _: lab.respond("svc.x", None), INPUT, "handler")
case("respond-handler-str", lambda lab, _: lab.respond("svc.x", "echo"), INPUT, "handler")
case("respond-queue-space", lambda lab, _: lab.respond("svc.x", lambda d: d, queue="q w"),
     INPUT, "queue")

# ============================================================================ consumers
for label, bad in [(k, v) for k, v in BAD_NAMES if v is not None]:  # None: ephemeral
    case(f"add_consumer-durable-{label}",
         lambda lab, _, n=bad: lab.add_consumer("ORDERS", n), INPUT, "consumer name")
for label, bad in [("dot", "ORD.ERS"), ("none", None)]:
    case(f"add_consumer-stream-{label}",
         lambda lab, _, n=bad: lab.add_consumer(n, "c"), INPUT, "stream name")
case("add_consumer-stream-missing", lambda lab, _: lab.add_consumer("NOPE", "c"),
     StreamNotFoundError, "NOPE")
case("add_consumer-durable-and-name-differ",
     lambda lab, _: lab.add_consumer("ORDERS", "a", name="b"), INPUT, "durable")
case("add_consumer-name-dot", lambda lab, _: lab.add_consumer("ORDERS", name="a.b"),
     INPUT, "consumer name")
for label, bad in [("negative", -1), ("nan", NAN), ("inf", INF), ("str", "30s"),
                   ("1e-10", 1e-10)]:
    case(f"add_consumer-ack_wait-{label}",
         lambda lab, _, v=bad: lab.add_consumer("ORDERS", "c", ack_wait=v), INPUT, "ack_wait")
for label, bad in [("zero", 0), ("negative", -2), ("2pow63", 2**63), ("str", "5")]:
    case(f"add_consumer-max_deliver-{label}",
         lambda lab, _, v=bad: lab.add_consumer("ORDERS", "c", max_deliver=v),
         INPUT, "max_deliver")
CONSUMER_CONFIG_CASES = [
    ("max_ack_pending-negative", {"max_ack_pending": -5}, INPUT, "max_ack_pending"),
    ("max_waiting-negative", {"max_waiting": -5}, INPUT, "max_waiting"),
    ("inactive_threshold-negative", {"inactive_threshold": -1}, INPUT, "inactive_threshold"),
    ("inactive_threshold-nan", {"inactive_threshold": NAN}, INPUT, "inactive_threshold"),
    ("ack_policy-unknown", {"ack_policy": "sometimes"}, INPUT, "ack_policy"),
    ("deliver_policy-unknown", {"deliver_policy": "first"}, INPUT, "deliver_policy"),
    ("replay_policy-unknown", {"replay_policy": "fast"}, INPUT, "replay_policy"),
    ("typo-ack_wiat", {"ack_wiat": 30}, INPUT, "ack_wiat"),
    ("typo-filter_subjcet", {"filter_subjcet": "orders.x"}, INPUT, "filter_subjcet"),
    ("filter_subject-empty-token", {"filter_subject": "orders..x"}, INPUT, "filter"),
    ("filter_subject-int", {"filter_subject": 5}, INPUT, "filter"),
    ("filter_subjects-overlap", {"filter_subjects": ["orders.*", "orders.eu"]},
     INPUT_OR_SERVER, "overlap"),
    ("filter_subject-and-filter_subjects", {"filter_subject": "orders.a",
                                            "filter_subjects": ["orders.b"]}, INPUT, "filter"),
    ("backoff-negative", {"backoff": [1, -2]}, INPUT, "backoff"),
    ("backoff-nan", {"backoff": [NAN]}, INPUT, "backoff"),
    ("backoff-str", {"backoff": "1s"}, INPUT, "backoff"),
    ("backoff-longer-than-max_deliver", {"backoff": [1, 2, 3], "max_deliver": 2},
     INPUT_OR_SERVER, "backoff"),
    ("opt_start_time-not-a-date", {"deliver_policy": "by_start_time",
                                   "opt_start_time": "not a date"}, INPUT, "opt_start_time"),
    ("opt_start_time-int", {"deliver_policy": "by_start_time", "opt_start_time": 5},
     INPUT, "opt_start_time"),
    ("by_start_time-without-opt_start_time", {"deliver_policy": "by_start_time"},
     INPUT_OR_SERVER, ("opt_start_time", "start time")),
    ("deliver-all-with-opt_start_seq", {"deliver_policy": "all", "opt_start_seq": 2},
     INPUT_OR_SERVER, ("opt_start_seq", "start sequence")),
    ("deliver-last-with-opt_start_time",
     {"deliver_policy": "last", "opt_start_time": _dt.datetime(2024, 1, 1,
                                                               tzinfo=_dt.timezone.utc)},
     INPUT_OR_SERVER, ("opt_start_time", "start time")),
    ("opt_start_seq-negative", {"deliver_policy": "by_start_sequence", "opt_start_seq": -1},
     INPUT, "opt_start_seq"),
    ("deliver_subject-empty-token", {"deliver_subject": "deliver..x"}, INPUT,
     "deliver_subject"),
    ("deliver_subject-wildcard", {"deliver_subject": "deliver.*"}, INPUT, "deliver_subject"),
    ("deliver_subject-cycle", {"deliver_subject": "orders.push"}, INPUT_OR_SERVER, "deliver"),
    ("idle_heartbeat-on-pull", {"idle_heartbeat": 5}, INPUT_OR_SERVER, "heartbeat"),
    ("metadata-int-value", {"metadata": {"team": 1}}, INPUT, "metadata"),
    ("priority_policy-without-groups", {"priority_policy": "overflow"}, INPUT_OR_SERVER,
     "priority"),
    ("num_replicas-negative", {"num_replicas": -1}, INPUT, "num_replicas"),
    ("description-int", {"description": 5}, INPUT, "description"),
]
for label, kw, err, frag in CONSUMER_CONFIG_CASES:
    case(f"add_consumer-{label}", lambda lab, _, kw=kw: lab.add_consumer("ORDERS", "c", **kw),
         err, frag)
case("add_consumer-existing-durable-other-ack_policy",
     lambda lab, _: lab.add_consumer("ORDERS", "shipping", ack_policy="none"),
     JetStreamError, "shipping")

case("update_consumer-missing", lambda lab, _: lab.update_consumer("ORDERS", "NOPE",
                                                                  max_deliver=5),
     ConsumerNotFoundError, "NOPE")
case("update_consumer-stream-dot", lambda lab, _: lab.update_consumer("ORD.ERS", "shipping",
                                                                     max_deliver=5),
     INPUT, "stream name")
case("update_consumer-name-none", lambda lab, _: lab.update_consumer("ORDERS", None,
                                                                    max_deliver=5),
     INPUT, "consumer name")
UPDATE_CONSUMER_CASES = [
    ("max_deliver-negative", {"max_deliver": -5}, INPUT, "max_deliver"),
    ("ack_wait-nan", {"ack_wait": NAN}, INPUT, "ack_wait"),
    ("typo-ackwait", {"ackwait": 5}, INPUT, "ackwait"),
    ("filter_subject-empty-token", {"filter_subject": "orders..x"}, INPUT, "filter"),
    ("durable_name-other", {"durable_name": "other"}, INPUT, "durable_name"),
    ("ack_policy-change", {"ack_policy": "none"}, INPUT_OR_SERVER,
     ("ack_policy", "ack policy")),
    ("deliver_policy-change", {"deliver_policy": "last"}, INPUT_OR_SERVER,
     ("deliver_policy", "deliver policy")),
]
for label, kw, err, frag in UPDATE_CONSUMER_CASES:
    case(f"update_consumer-{label}",
         lambda lab, _, kw=kw: lab.update_consumer("ORDERS", "shipping", **kw), err, frag)

for label, bad in [("dot", "a.b"), ("none", None), ("gt", ">"), ("empty", "")]:
    case(f"consumer_info-name-{label}", lambda lab, _, n=bad: lab.consumer_info("ORDERS", n),
         INPUT, "consumer name")
case("consumer_info-missing", lambda lab, _: lab.consumer_info("ORDERS", "NOPE"),
     ConsumerNotFoundError, "NOPE")
case("consumer_info-stream-missing", lambda lab, _: lab.consumer_info("NOPE", "shipping"),
     StreamNotFoundError, "NOPE")

for label, bad in [("dot", "a.b"), ("star", "*"), ("empty", ""), ("int", 7)]:
    case(f"delete_consumer-name-{label}",
         lambda lab, _, n=bad: lab.delete_consumer("ORDERS", n), INPUT, "consumer name")
case("delete_consumer-missing", lambda lab, _: lab.delete_consumer("ORDERS", "NOPE"),
     ConsumerNotFoundError, "NOPE")
case("delete_consumer-stream-missing", lambda lab, _: lab.delete_consumer("NOPE", "shipping"),
     StreamNotFoundError, "NOPE")

for label, bad in [("tomorrow", "tomorrow"), ("negative", -5), ("nan", NAN), ("inf", INF),
                   ("1e12", 1e12), ("bool", True), ("none", None)]:
    case(f"pause_consumer-until-{label}",
         lambda lab, _, u=bad: lab.pause_consumer("ORDERS", "shipping", until=u), INPUT, "until")
case("pause_consumer-name-dot",
     lambda lab, _: lab.pause_consumer("ORDERS", "a.b", until=5), INPUT, "consumer name")
case("pause_consumer-stream-space",
     lambda lab, _: lab.pause_consumer("my orders", "shipping", until=5), INPUT, "stream name")
case("pause_consumer-missing",
     lambda lab, _: lab.pause_consumer("ORDERS", "NOPE", until=5), ConsumerNotFoundError,
     "NOPE")
case("resume_consumer-name-dot", lambda lab, _: lab.resume_consumer("ORDERS", "a.b"),
     INPUT, "consumer name")
case("resume_consumer-name-none", lambda lab, _: lab.resume_consumer("ORDERS", None),
     INPUT, "consumer name")
case("resume_consumer-stream-gt", lambda lab, _: lab.resume_consumer("ORD>", "shipping"),
     INPUT, "stream name")
case("resume_consumer-missing", lambda lab, _: lab.resume_consumer("ORDERS", "NOPE"),
     ConsumerNotFoundError, "NOPE")

# ============================================================================ pulling
for label, bad in [("zero", 0), ("negative", -1), ("str", "10"), ("float", 1.5),
                   ("bool", True), ("2pow63", 2**63)]:
    case(f"fetch-batch-{label}", lambda lab, _, b=bad: lab.fetch("ORDERS", "shipping", b),
         INPUT, "batch")
for label, bad in BAD_TIMEOUTS:
    if label == "zero":
        continue  # wait=0 is valid: "only what is there now"
    case(f"fetch-wait-{label}",
         lambda lab, _, w=bad: lab.fetch("ORDERS", "shipping", 1, wait=w), INPUT, "wait")
for label, bad in [("negative", -1), ("str", "1k"), ("2pow63", 2**63)]:
    case(f"fetch-max_bytes-{label}",
         lambda lab, _, m=bad: lab.fetch("ORDERS", "shipping", 1, max_bytes=m),
         INPUT, "max_bytes")
case("fetch-consumer-dot", lambda lab, _: lab.fetch("ORDERS", "a.b"), INPUT, "consumer name")
case("fetch-stream-none", lambda lab, _: lab.fetch(None, "shipping"), INPUT, "stream name")
case("fetch-consumer-missing", lambda lab, _: lab.fetch("ORDERS", "NOPE", wait=0.2),
     ConsumerNotFoundError, "NOPE")
case("fetch-stream-missing", lambda lab, _: lab.fetch("NOPE", "shipping", wait=0.2),
     StreamNotFoundError, "NOPE")
case("fetch_and_ack-batch-zero", lambda lab, _: lab.fetch_and_ack("ORDERS", "shipping", 0),
     INPUT, "batch")
case("fetch_and_ack-wait-nan",
     lambda lab, _: lab.fetch_and_ack("ORDERS", "shipping", 10, wait=NAN), INPUT, "wait")
case("fetch_and_ack-wait-negative",
     lambda lab, _: lab.fetch_and_ack("ORDERS", "shipping", 10, wait=-1), INPUT, "wait")
case("fetch_and_ack-sync-str",
     lambda lab, _: lab.fetch_and_ack("ORDERS", "shipping", 10, sync="yes"), INPUT, "sync")
case("fetch_and_ack-consumer-missing",
     lambda lab, _: lab.fetch_and_ack("ORDERS", "NOPE", wait=0.2), ConsumerNotFoundError,
     "NOPE")

# ============================================================================ push
SUBSCRIBE_CASES = [
    ("subject-empty-token", lambda lab, _: lab.subscribe("orders..x"), INPUT, "subject"),
    ("subject-gt-not-last", lambda lab, _: lab.subscribe("orders.>.x"), INPUT, "subject"),
    ("subject-int", lambda lab, _: lab.subscribe(5), INPUT, "subject"),
    ("no-subject-no-stream", lambda lab, _: lab.subscribe(), INPUT, ("subject", "stream")),
    ("stream-dot", lambda lab, _: lab.subscribe(stream="ORD.ERS"), INPUT, "stream name"),
    ("durable-space", lambda lab, _: lab.subscribe("orders.>", durable="a b"), INPUT,
     "consumer name"),
    ("queue-space", lambda lab, _: lab.subscribe("orders.>", queue="q w"), INPUT, "queue"),
    ("ordered-str", lambda lab, _: lab.subscribe("orders.>", ordered="yes"), INPUT, "ordered"),
    ("manual_ack-str", lambda lab, _: lab.subscribe("orders.>", manual_ack="no"), INPUT,
     "manual_ack"),
    ("idle_heartbeat-negative", lambda lab, _: lab.subscribe("orders.>", idle_heartbeat=-1),
     INPUT, "idle_heartbeat"),
    ("idle_heartbeat-nan", lambda lab, _: lab.subscribe("orders.>", idle_heartbeat=NAN),
     INPUT, "idle_heartbeat"),
    ("typo-ack_wiat", lambda lab, _: lab.subscribe("orders.>", ack_wiat=5), INPUT, "ack_wiat"),
    ("ordered-with-durable",
     lambda lab, _: lab.subscribe("orders.>", ordered=True, durable="d"), INPUT, "durable"),
    ("no-stream-for-subject", lambda lab, _: lab.subscribe("nowhere.>"), JetStreamError,
     "nowhere"),
    ("bind-to-pull-consumer",
     lambda lab, _: lab.subscribe(stream="ORDERS", durable="shipping"), INPUT_OR_SERVER,
     ("shipping", "pull")),
]
for label, fn, err, frag in SUBSCRIBE_CASES:
    case(f"subscribe-{label}", fn, err, frag)


# ============================================================================ acknowledgements
def fetched(n: int = 1, then: str | None = None, on: int | None = None):
    """Setup: fetch ``n`` messages from shipping; optionally confirm ``then`` on one of them."""

    def setup(lab: Lab, env: Any) -> Any:
        batch = lab.fetch("ORDERS", "shipping", n, wait=2)
        assert len(batch) == n, f"setup fetched {len(batch)} of {n}"
        if then is not None:
            targets = batch if on is None else [batch[on]]
            for m in targets:
                getattr(m, then)()
        return batch

    return setup


ACK_WORDS = ("already acknowledged", "already")
ACK_STATE_CASES = [
    ("ack-twice", "ack_sync", lambda lab, b: b[0].ack()),
    ("ack_sync-twice", "ack_sync", lambda lab, b: b[0].ack_sync()),
    ("nak-after-term", "term", lambda lab, b: b[0].nak()),
    ("term-after-ack", "ack_sync", lambda lab, b: b[0].term()),
    ("in_progress-after-ack", "ack_sync", lambda lab, b: b[0].in_progress()),
    ("ack-after-nak", "nak", lambda lab, b: b[0].ack()),
    ("term-twice", "term", lambda lab, b: b[0].term()),
]
for label, first, call in ACK_STATE_CASES:
    case(f"message-{label}", call, INPUT, ACK_WORDS, setup=fetched(1, first))
case("batch-ack-twice", lambda lab, b: b.ack(), INPUT, ACK_WORDS, setup=fetched(3, "ack_sync"))
case("batch-ack-with-one-already-acked", lambda lab, b: b.ack(), INPUT, ACK_WORDS,
     setup=fetched(3, "ack_sync", on=1))
case("batch-term-after-ack", lambda lab, b: b.term(), INPUT, ACK_WORDS,
     setup=fetched(2, "ack_sync"))
case("batch-nak-after-term", lambda lab, b: b.nak(), INPUT, ACK_WORDS,
     setup=fetched(2, "term"))

for label, bad in [("negative", -1), ("nan", NAN), ("inf", INF), ("1e12", 1e12),
                   ("str", "1s"), ("bool", True)]:
    case(f"message-nak-delay-{label}", lambda lab, b, d=bad: b[0].nak(delay=d),
         INPUT, "delay", setup=fetched(1))
for label, bad in [("negative", -1), ("nan", NAN), ("str", "1s")]:
    case(f"batch-nak-delay-{label}", lambda lab, b, d=bad: b.nak(delay=d),
         INPUT, "delay", setup=fetched(2))
for label, bad in [("negative", -1), ("nan", NAN), ("inf", INF), ("str", "1s")]:
    case(f"message-ack_sync-timeout-{label}", lambda lab, b, t=bad: b[0].ack_sync(timeout=t),
         INPUT, "timeout", setup=fetched(1))
for label, bad in [("negative", -1), ("nan", NAN)]:
    case(f"batch-ack_sync-timeout-{label}", lambda lab, b, t=bad: b.ack_sync(timeout=t),
         INPUT, "timeout", setup=fetched(2))
case("message-term-reason-int", lambda lab, b: b[0].term(reason=5), INPUT, "reason",
     setup=fetched(1))
case("message-term-reason-crlf", lambda lab, b: b[0].term(reason="x\r\n+ACK"), INPUT,
     "reason", setup=fetched(1))


# ============================================================================ KV
def kv_handle(lab: Lab, env: Any) -> Any:
    return lab.kv("settings")


for label, bad in [("dot", "a.b"), ("empty", ""), ("space", "a b"), ("none", None),
                   ("too_long", "b" * 260), ("unicode", "caf\u00e9"), ("star", "a*")]:
    case(f"create_kv-bucket-{label}", lambda lab, _, b=bad: lab.create_kv(b), INPUT, "bucket")
KV_CONFIG_CASES = [
    ("history-zero", {"history": 0}, "history"),
    ("history-65", {"history": 65}, "history"),
    ("history-str", {"history": "5"}, "history"),
    ("history-bool", {"history": True}, "history"),
    ("ttl-negative", {"ttl": -1}, "ttl"),
    ("ttl-nan", {"ttl": NAN}, "ttl"),
    ("max_bytes-negative", {"max_bytes": -5}, "max_bytes"),
    ("storage-unknown", {"storage": "disk"}, "storage"),
    ("typo-histroy", {"histroy": 5}, "histroy"),
    ("replicas-str", {"replicas": "1"}, "replicas"),
]
for label, kw, frag in KV_CONFIG_CASES:
    case(f"create_kv-{label}", lambda lab, _, kw=kw: lab.create_kv("newkv", **kw), INPUT, frag)
case("kv-bucket-missing", lambda lab, _: lab.kv("nope"), StreamNotFoundError, "nope")
case("kv-bucket-dot", lambda lab, _: lab.kv("a.b"), INPUT, "bucket")

BAD_KEYS = [("empty_token", "a..b"), ("empty", ""), ("blank", " "), ("space", "a b"),
            ("leading_dot", ".a"), ("trailing_dot", "a."), ("star", "a.*"), ("gt", ">"),
            ("none", None), ("int", 5), ("newline", "a\nb")]
for label, bad in BAD_KEYS:
    case(f"kv-put-key-{label}", lambda lab, kv, k=bad: kv.put(k, "x"), INPUT, "key",
         setup=kv_handle)
for label in ("set", "nan", "above_max_payload"):
    err = INPUT_OR_SERVER if label == "above_max_payload" else INPUT
    case(f"kv-put-value-{label}",
         lambda lab, kv, v=dict(BAD_PAYLOADS)[label]: kv.put("color", v), err,
         ("value", "data", "payload"), setup=kv_handle)
for label, bad in [("space", "a b"), ("none", None), ("empty_token", "a..b")]:
    case(f"kv-get-key-{label}", lambda lab, kv, k=bad: kv.get(k), INPUT, "key",
         setup=kv_handle)
for label, bad in [("negative", -1), ("zero", 0), ("str", "1")]:
    case(f"kv-get-revision-{label}", lambda lab, kv, r=bad: kv.get("color", revision=r),
         INPUT, "revision", setup=kv_handle)
case("kv-create-existing-key", lambda lab, kv: kv.create("color", "x"), JetStreamError,
     "color", setup=kv_handle)
for label, bad in [("empty_token", "a..b"), ("blank", " ")]:
    case(f"kv-create-key-{label}", lambda lab, kv, k=bad: kv.create(k, "x"), INPUT, "key",
         setup=kv_handle)
case("kv-update-wrong-last", lambda lab, kv: kv.update("color", "x", last=99),
     JetStreamError, ("color", "sequence"), setup=kv_handle)
for label, bad in [("negative", -1), ("str", "1"), ("none", None)]:
    case(f"kv-update-last-{label}", lambda lab, kv, n=bad: kv.update("color", "x", last=n),
         INPUT, "last", setup=kv_handle)
case("kv-update-key-space", lambda lab, kv: kv.update("a b", "x", last=1), INPUT, "key",
     setup=kv_handle)
for label, bad in [("empty", ""), ("space", "a b"), ("empty_token", "a..b")]:
    case(f"kv-delete-key-{label}", lambda lab, kv, k=bad: kv.delete(k), INPUT, "key",
         setup=kv_handle)
for label, bad in [("empty_token", "a..b"), ("int", 5), ("space", "a b")]:
    case(f"kv-watch-keys-{label}", lambda lab, kv, k=bad: kv.watch(k), INPUT, "key",
         setup=kv_handle)
case("kv-watch-include_history-str", lambda lab, kv: kv.watch(">", include_history="yes"),
     INPUT, "include_history", setup=kv_handle)


# ============================================================================ object store
def obj_handle(lab: Lab, env: Any) -> Any:
    return lab.object_store("files")


for label, bad in [("dot", "a.b"), ("empty", ""), ("none", None)]:
    case(f"create_object_store-bucket-{label}",
         lambda lab, _, b=bad: lab.create_object_store(b), INPUT, "bucket")
case("create_object_store-typo-max_byte",
     lambda lab, _: lab.create_object_store("newobj", max_byte=5), INPUT, "max_byte")
case("create_object_store-storage-unknown",
     lambda lab, _: lab.create_object_store("newobj", storage="disk"), INPUT, "storage")
OBJECT_PUT_CASES = [
    ("name-empty", lambda o: o.put("", b"x"), "name"),
    ("name-none", lambda o: o.put(None, b"x"), "name"),
    ("name-int", lambda o: o.put(5, b"x"), "name"),
    ("data-set", lambda o: o.put("b.txt", {1, 2}), PAYLOAD_WORDS),
    ("data-nan", lambda o: o.put("b.txt", {"v": NAN}), PAYLOAD_WORDS),
    ("chunk_size-negative", lambda o: o.put("b.txt", b"x", chunk_size=-1), "chunk_size"),
    ("chunk_size-str", lambda o: o.put("b.txt", b"x", chunk_size="1k"), "chunk_size"),
    ("headers-value-crlf", lambda o: o.put("b.txt", b"x", headers={"A": "x\r\ny"}), "header"),
    ("headers-not-a-mapping", lambda o: o.put("b.txt", b"x", headers="A: x"), "header"),
    ("description-int", lambda o: o.put("b.txt", b"x", description=5), "description"),
]
for label, fn, frag in OBJECT_PUT_CASES:
    case(f"object-put-{label}", lambda lab, o, fn=fn: fn(o), INPUT, frag, setup=obj_handle)


# ============================================================================ pictures
def _diff(lab: Lab, stream: Any, **kw: Any) -> None:
    with lab.diff(stream, **kw):
        pass


PICTURE_CASES = [
    ("snapshot-stream-dot", lambda lab, _: lab.snapshot("ORD.ERS"), INPUT, "stream name"),
    ("snapshot-stream-int", lambda lab, _: lab.snapshot(42), INPUT, "stream name"),
    ("snapshot-stream-missing", lambda lab, _: lab.snapshot("NOPE"), StreamNotFoundError,
     "NOPE"),
    ("snapshot-window-word", lambda lab, _: lab.snapshot("ORDERS", window="huge"), INPUT,
     "window"),
    ("snapshot-window-negative", lambda lab, _: lab.snapshot("ORDERS", window=-1), INPUT,
     "window"),
    ("messages-stream-dot", lambda lab, _: lab.messages("ORD.ERS"), INPUT, "stream name"),
    ("messages-stream-missing", lambda lab, _: lab.messages("NOPE"), StreamNotFoundError,
     "NOPE"),
    ("messages-subject-empty-token", lambda lab, _: lab.messages("ORDERS", subject="a..b"),
     INPUT, "subject"),
    ("messages-start-zero", lambda lab, _: lab.messages("ORDERS", start=0), INPUT, "start"),
    ("messages-start-word", lambda lab, _: lab.messages("ORDERS", start="yesterday"), INPUT,
     "start"),
    ("messages-limit-negative", lambda lab, _: lab.messages("ORDERS", limit=-1), INPUT,
     "limit"),
    ("messages-limit-str", lambda lab, _: lab.messages("ORDERS", limit="10"), INPUT, "limit"),
    ("diff-stream-dot", lambda lab, _: _diff(lab, "ORD.ERS"), INPUT, "stream name"),
    ("diff-stream-missing", lambda lab, _: _diff(lab, "NOPE"), StreamNotFoundError, "NOPE"),
    ("diff-window-negative", lambda lab, _: _diff(lab, "ORDERS", window=-5), INPUT, "window"),
    ("record-stream-dot", lambda lab, _: lab.record("ORD.ERS"), INPUT, "stream name"),
    ("record-stream-missing", lambda lab, _: lab.record("NOPE"), StreamNotFoundError, "NOPE"),
    ("record-every-zero", lambda lab, _: lab.record("ORDERS", every=0), INPUT, "every"),
    ("record-every-negative", lambda lab, _: lab.record("ORDERS", every=-1), INPUT, "every"),
    ("record-every-nan", lambda lab, _: lab.record("ORDERS", every=NAN), INPUT, "every"),
    ("record-every-str", lambda lab, _: lab.record("ORDERS", every="1"), INPUT, "every"),
    ("dashboard-stream-dot", lambda lab, _: lab.dashboard("ORD.ERS"), INPUT, "stream name"),
    ("dashboard-stream-missing", lambda lab, _: lab.dashboard("NOPE"), StreamNotFoundError,
     "NOPE"),
    ("dashboard-every-zero", lambda lab, _: lab.dashboard("ORDERS", every=0), INPUT, "every"),
    ("dashboard-every-nan", lambda lab, _: lab.dashboard("ORDERS", every=NAN), INPUT, "every"),
    ("dashboard-consumer-missing", lambda lab, _: lab.dashboard("ORDERS", consumer="nope"),
     INPUT_OR_SERVER, "nope"),
    ("dashboard-consumer-dot", lambda lab, _: lab.dashboard("ORDERS", consumer="a.b"), INPUT,
     "consumer name"),
]
for label, fn, err, frag in PICTURE_CASES:
    case(label, fn, err, frag)

# ============================================================================ raw API
API_CASES = [
    ("sys-subject-refused", lambda lab, _: lab.api("$SYS.REQ.SERVER.PING"), "subject"),
    ("sys-subject-full-refused", lambda lab, _: lab.api("$SYS.REQ.SERVER.PING.VARZ"),
     "subject"),
    ("non-api-js-subject", lambda lab, _: lab.api("$JS.EVENT.ADVISORY.API"), "subject"),
    ("empty", lambda lab, _: lab.api(""), "subject"),
    ("none", lambda lab, _: lab.api(None), "subject"),
    ("int", lambda lab, _: lab.api(42), "subject"),
    ("empty-token", lambda lab, _: lab.api("STREAM..INFO"), "subject"),
    ("wildcard", lambda lab, _: lab.api("STREAM.INFO.*"), "subject"),
    ("trailing-space", lambda lab, _: lab.api("STREAM.INFO.ORDERS "), "subject"),
    ("crlf", lambda lab, _: lab.api("STREAM.INFO.ORDERS\r\n"), "subject"),
    ("5000-chars", lambda lab, _: lab.api("STREAM.INFO." + "X" * 5000), "subject"),
    ("payload-object", lambda lab, _: lab.api("STREAM.INFO.ORDERS", object()), "payload"),
    ("payload-set", lambda lab, _: lab.api("STREAM.INFO.ORDERS", {1, 2}), "payload"),
    ("payload-nan", lambda lab, _: lab.api("STREAM.NAMES", {"offset": NAN}), "payload"),
    ("timeout-negative", lambda lab, _: lab.api("STREAM.NAMES", timeout=-1), "timeout"),
    ("timeout-nan", lambda lab, _: lab.api("STREAM.NAMES", timeout=NAN), "timeout"),
    ("timeout-str", lambda lab, _: lab.api("STREAM.NAMES", timeout="1s"), "timeout"),
]
for label, fn, frag in API_CASES:
    case(f"api-{label}", fn, INPUT, frag)
case("api-stream-missing", lambda lab, _: lab.api("STREAM.INFO.NOPE"),
     StreamNotFoundError, "NOPE")


# ============================================================================ closed lab
def closed_lab(lab: Lab, env: Any) -> Lab:
    other = Lab(env.server.url, timeout=LAB_TIMEOUT_S, loop=env.loop)
    other.close()
    return other


def closed_after(prepare: Callable[[Lab], Any]):
    """Setup: a second lab prepares something (a handle, a batch), then is closed."""

    def setup(lab: Lab, env: Any) -> Any:
        other = Lab(env.server.url, timeout=LAB_TIMEOUT_S, loop=env.loop)
        try:
            thing = prepare(other)
        finally:
            other.close()
        return thing

    return setup


CLOSED_CALLS = [
    ("add_stream", lambda c: c.add_stream("NEW", subjects=["new.>"])),
    ("update_stream", lambda c: c.update_stream("ORDERS", max_msgs=5)),
    ("delete_stream", lambda c: c.delete_stream("ORDERS")),
    ("purge_stream", lambda c: c.purge_stream("ORDERS")),
    ("stream_info", lambda c: c.stream_info("ORDERS")),
    ("stream_names", lambda c: c.stream_names()),
    ("get_msg", lambda c: c.get_msg("ORDERS", 1)),
    ("delete_msg", lambda c: c.delete_msg("ORDERS", 1)),
    ("publish", lambda c: c.publish("orders.x", b"x")),
    ("publish_many", lambda c: c.publish_many("orders.x", [1, 2])),
    ("publish_core", lambda c: c.publish_core("orders.x", b"x")),
    ("request", lambda c: c.request("svc.x", b"x")),
    ("subscribe_core", lambda c: c.subscribe_core("core.>")),
    ("respond", lambda c: c.respond("svc.x", lambda d: d)),
    ("add_consumer", lambda c: c.add_consumer("ORDERS", "c")),
    ("update_consumer", lambda c: c.update_consumer("ORDERS", "shipping", max_deliver=5)),
    ("consumer_info", lambda c: c.consumer_info("ORDERS", "shipping")),
    ("consumer_names", lambda c: c.consumer_names("ORDERS")),
    ("delete_consumer", lambda c: c.delete_consumer("ORDERS", "shipping")),
    ("pause_consumer", lambda c: c.pause_consumer("ORDERS", "shipping", until=5)),
    ("resume_consumer", lambda c: c.resume_consumer("ORDERS", "shipping")),
    ("fetch", lambda c: c.fetch("ORDERS", "shipping", 1)),
    ("fetch_and_ack", lambda c: c.fetch_and_ack("ORDERS", "shipping", 1)),
    ("subscribe", lambda c: c.subscribe("orders.>")),
    ("create_kv", lambda c: c.create_kv("newkv")),
    ("kv", lambda c: c.kv("settings")),
    ("delete_kv", lambda c: c.delete_kv("settings")),
    ("create_object_store", lambda c: c.create_object_store("newobj")),
    ("object_store", lambda c: c.object_store("files")),
    ("snapshot", lambda c: c.snapshot("ORDERS")),
    ("messages", lambda c: c.messages("ORDERS")),
    ("streams", lambda c: c.streams()),
    ("consumers", lambda c: c.consumers("ORDERS")),
    ("diff", lambda c: _diff(c, "ORDERS")),
    ("record", lambda c: c.record("ORDERS")),
    ("dashboard", lambda c: c.dashboard("ORDERS")),
    ("api", lambda c: c.api("STREAM.NAMES")),
    ("account_info", lambda c: c.account_info()),
    ("flush", lambda c: c.flush()),
    ("wait_connected", lambda c: c.wait_connected(0.5)),
]
for label, fn in CLOSED_CALLS:
    case(f"closed-{label}", lambda lab, c, fn=fn: fn(c), ClosedError, "closed", setup=closed_lab)
case("closed-message-ack", lambda lab, b: b[0].ack(), ClosedError, "closed",
     setup=closed_after(lambda o: o.fetch("ORDERS", "shipping", 1, wait=2)))
case("closed-message-nak", lambda lab, b: b[0].nak(), ClosedError, "closed",
     setup=closed_after(lambda o: o.fetch("ORDERS", "shipping", 1, wait=2)))
case("closed-batch-ack_sync", lambda lab, b: b.ack_sync(), ClosedError, "closed",
     setup=closed_after(lambda o: o.fetch("ORDERS", "shipping", 2, wait=2)))
case("closed-kv-put", lambda lab, kv: kv.put("color", "red"), ClosedError, "closed",
     setup=closed_after(lambda o: o.kv("settings")))
case("closed-kv-get", lambda lab, kv: kv.get("color"), ClosedError, "closed",
     setup=closed_after(lambda o: o.kv("settings")))
case("closed-object-put", lambda lab, o: o.put("b.txt", b"x"), ClosedError, "closed",
     setup=closed_after(lambda o: o.object_store("files")))



# ============================================================================ the harness
def _bounded(fn: Callable[[], Any], limit: float) -> tuple[str, Any]:
    """Run ``fn`` on a worker thread: ("returned", value), ("raised", exc) or ("hung", None)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:
            box["exc"] = e

    t = threading.Thread(target=target, daemon=True, name="bad-input-call")
    t.start()
    t.join(limit)
    if t.is_alive():
        return "hung", None
    if "exc" in box:
        return "raised", box["exc"]
    return "returned", box.get("value")


def _dispose(value: Any) -> None:
    """Stop whatever a call that should have failed started (subscriptions, threads)."""
    for attr in ("stop", "unsubscribe"):
        fn = getattr(value, attr, None)
        if callable(fn):
            _bounded(fn, 5)


class Env:
    """One bundled server, an observer lab on its own loop, and the lab under test."""

    def __init__(self) -> None:
        self.server = LocalServer().start()
        self.observer_loop = EventLoopThread("bad-input-observer")
        self.observer = Lab(self.server.url, loop=self.observer_loop, name="bad-input-observer")
        self.loop: EventLoopThread | None = None
        self.lab: Lab | None = None
        self.replacements = 0
        self.resets = 0
        self.new_lab()
        self.reset()
        self.pristine = self.comparable(self.state())

    # -- the lab under test ---------------------------------------------------------------
    def new_lab(self) -> None:
        """A fresh lab on a fresh loop (a call stuck on the old loop cannot block it)."""
        old_lab, old_loop = self.lab, self.loop
        if old_lab is not None:
            _bounded(old_lab.close, 10)
            self.replacements += 1
        if old_loop is not None:
            _bounded(old_loop.close, 5)
        self.loop = EventLoopThread("bad-input-lab")
        self.lab = Lab(self.server.url, timeout=LAB_TIMEOUT_S, loop=self.loop,
                       name="bad-input-under-test")

    def works(self) -> str | None:
        """None when publish, publish_many and stream_info succeed on the lab under test.

        publish_many is part of the check because a failed pipelined publish can leave later
        ones waiting for acknowledgements that never come.
        """
        lab = self.lab

        def probe() -> int:
            lab.publish("probe.ok", b"x")
            lab.publish_many("probe.many", [b"a", b"b"])
            return lab.stream_info("PROBE").state.messages

        how, value = _bounded(probe, 12)
        if how == "returned":
            return None
        if how == "hung":
            return "publish + publish_many + stream_info did not return within 12 s"
        return f"publish + publish_many + stream_info raised {type(value).__name__}: {value}"

    def sent_msgs(self) -> int | None:
        """Messages the server has received from the lab under test (monitoring /connz)."""
        cid = self.lab.nc.client_id if self.lab and self.lab.nc else None
        if cid is None:
            return None
        try:
            with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                    f"{self.server.monitor_url}/connz?cid={cid}", timeout=2) as r:
                conns = json.loads(r.read()).get("connections") or []
        except Exception:
            return None
        return conns[0].get("in_msgs") if conns else None

    # -- server state ---------------------------------------------------------------------
    def state(self) -> dict:
        obs = self.observer
        out: dict[str, Any] = {}
        for name in obs.stream_names():
            try:
                st = obs.stream_info(name).state
            except StreamNotFoundError:
                continue
            consumers: dict[str, Any] = {}
            for c in obs.consumer_names(name):
                try:
                    ci = obs.consumer_info(name, c)
                except (ConsumerNotFoundError, StreamNotFoundError):
                    continue
                consumers[c] = (ci.delivered.stream_seq, ci.ack_floor.stream_seq,
                                ci.num_ack_pending)
            out[name] = (st.messages, st.first_seq, st.last_seq, consumers)
        return out

    @staticmethod
    def comparable(state: dict) -> dict:
        """The state without PROBE's counts (every liveness check publishes there)."""
        return {k: ("probe" if k == "PROBE" else v) for k, v in state.items()}

    def reset(self) -> None:
        obs = self.observer
        for name in obs.stream_names():
            obs.delete_stream(name)
        # Right after a delete the server may still be removing the old store from disk
        # ("error creating store", 10049): try again for a moment.
        self._retry(lambda: obs.add_stream("ORDERS", subjects=["orders.>"]))
        obs.publish_many("orders.x", [{"id": i} for i in (1, 2, 3)])
        obs.add_consumer("ORDERS", "shipping", ack_wait=30)
        self._retry(lambda: obs.add_stream("PROBE", subjects=["probe.>"], storage="memory"))
        self._retry(lambda: obs.create_kv("settings")).put("color", "blue")
        self._retry(lambda: obs.create_object_store("files")).put("a.txt", b"hello")
        self.resets += 1

    def _retry(self, fn: Callable[[], Any]) -> Any:
        deadline = time.monotonic() + 5
        while True:
            try:
                return fn()
            except JetStreamError as e:
                if e.err_code != 10049 or time.monotonic() > deadline:
                    raise AssertionError(
                        f"could not rebuild the fixture state: {e}\nserver log:\n"
                        f"{self.server.log_path.read_text()[-3000:]}") from e
                time.sleep(0.05)

    def ensure_pristine(self) -> None:
        if self.comparable(self.state()) != self.pristine:
            self.reset()

    def close(self) -> None:
        for closer in (lambda: self.lab.close(), self.loop.close, self.observer.close,
                       self.observer_loop.close, self.server.close):
            try:
                closer()
            except Exception:
                pass


@pytest.fixture(scope="module")
def env():
    e = Env()
    yield e
    e.close()


def _fragments(case_: Case) -> tuple[str, ...]:
    m = case_.message_contains
    return (m,) if isinstance(m, str) else tuple(m)


def _kinds(case_: Case) -> tuple[type, ...]:
    t = case_.error_type
    return t if isinstance(t, tuple) else (t,)


def _short(text: str, limit: int = 300) -> str:
    text = text.replace("\n", " | ")
    return text if len(text) <= limit else text[:limit] + "..."


def _judge(c: Case, how: str, value: Any) -> list[str]:
    """What is wrong with the outcome of one call (empty when it failed the right way)."""
    problems: list[str] = []
    kinds = _kinds(c)
    if how == "hung":
        problems.append(f"HUNG: the call did not return within {CALL_LIMIT_S} s")
    elif how == "returned":
        _dispose(value)
        problems.append(f"NO ERROR: the call returned {_short(repr(value), 120)}")
    elif not isinstance(value, JslabError):
        problems.append(f"RAW {type(value).__name__} leaked: {_short(str(value))}")
    else:
        if not isinstance(value, kinds):
            problems.append(
                f"WRONG TYPE: {type(value).__name__} (expected "
                f"{' or '.join(k.__name__ for k in kinds)}): {_short(str(value))}")
        text = str(value).lower()
        if not any(f.lower() in text for f in _fragments(c)):
            problems.append(f"MESSAGE does not name {_fragments(c)}: {_short(str(value))}")
    return problems


def _forget_traceback(exc: Any) -> None:
    seen = set()
    while isinstance(exc, BaseException) and id(exc) not in seen:
        seen.add(id(exc))
        exc.__traceback__ = None
        exc = exc.__cause__ or exc.__context__


@pytest.mark.timeout(60)
@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_bad_input(env: Env, c: Case) -> None:
    env.ensure_pristine()
    lab = env.lab
    ctx = c.setup(lab, env) if c.setup is not None else None
    if c.setup is not None:
        time.sleep(0.03)  # let the server finish applying the setup's acks
    before = env.state()
    sent_before = env.sent_msgs()

    unraisable: list[str] = []
    previous_hook = sys.unraisablehook
    sys.unraisablehook = lambda u: unraisable.append(
        f"{u.exc_type.__name__}: {u.exc_value} ({u.object!r})")
    try:
        how, value = _bounded(lambda: c.call(lab, ctx), CALL_LIMIT_S)
        problems = _judge(c, how, value)
        _forget_traceback(value)  # frees what the call left behind (e.g. unawaited coroutines)
        value = ctx = None
    finally:
        sys.unraisablehook = previous_hook
    problems += [f"UNRAISABLE during the call: {_short(u)}" for u in unraisable]

    if how != "hung":
        _bounded(lambda: lab.flush(1), 3)  # whatever the call sent has reached the server
        if c.setup is not None:
            time.sleep(0.03)
    sent_after = env.sent_msgs()
    after = env.state()
    if after != before:
        changed = {k: (before.get(k), after.get(k)) for k in set(before) | set(after)
                   if before.get(k) != after.get(k)}
        problems.append(f"SERVER STATE CHANGED: {_short(repr(changed), 400)}")

    broken = env.works()
    if broken is not None:
        problems.append(f"LAB UNUSABLE afterwards: {_short(broken)}")
    if broken is not None or how == "hung":
        env.new_lab()
        env.reset()  # a stuck pull request or a half-done call may still act on the stream

    if problems and sent_before is not None and sent_after is not None:
        problems.append(f"(the lab sent {sent_after - sent_before} message(s) to the server "
                        "during the call)")
    assert not problems, f"{c.id}:\n  " + "\n  ".join(problems)


def test_case_count() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    print(f"measured: bad-input cases: {len(CASES)}")
    assert len(CASES) >= 150
