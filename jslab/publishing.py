"""JetStream publishing: one message, many pipelined, and atomic batches.

Every message is checked against the connected server's real limits before it is sent (the
subject must fit the protocol line, the message its max_payload), so a bad message is refused
by the kit and the connection stays up.

``publish_many`` collects its own acknowledgements on one inbox per call instead of using
nats-py's ``publish_async``: there a refused message never resolves its future, and futures
left over from a failed call wedge the next one. Here every call starts clean, refusals come
back with the server's error, and a failure says exactly which messages were stored.

    >>> msgs = prepare_many("orders.new", [b"a", b"b"], None, session)
    >>> result = session.call(publish_many(session, msgs))
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from nats.js import api

from . import arguments, names
from .errors import (
    JetStreamError,
    JslabTypeError,
    NoStreamForSubjectError,
    NotConnectedError,
    PublishError,
    ValidationError,
)
from .infos import PubAck
from .messages import PublishResult, check_headers, encode_payload
from .progress import Progress
from .session import api_error, status_error

if TYPE_CHECKING:
    from .session import Session

__all__ = ["Prepared", "check_batch", "prepare_many", "prepare_one", "publish_batch",
           "publish_headers", "publish_many", "publish_one", "timeout_seconds", "ttl_header"]

Prepared = tuple[str, bytes, "dict[str, str] | None"]

MSG_ID = "Nats-Msg-Id"
EXPECT_HEADERS = {
    "expected_stream": "Nats-Expected-Stream",
    "expected_last_seq": "Nats-Expected-Last-Sequence",
    "expected_last_subject_seq": "Nats-Expected-Last-Subject-Sequence",
    "expected_last_subject_seq_subject": "Nats-Expected-Last-Subject-Sequence-Subject",
    "expected_last_msg_id": "Nats-Expected-Last-Msg-Id",
}
# Unacknowledged messages in flight during publish_many (the server and the inbox keep up).
MAX_IN_FLIGHT = 4000
# An atomic batch holds at most this many messages (the server's default limit).
MAX_BATCH = 1000


# ---------------------------------------------------------------------------------- preparing
def publish_headers(headers: Mapping | None, msg_id: str | None, ttl: Any,
                    expect: Mapping[str, Any]) -> dict[str, str] | None:
    """The headers of one JetStream publish: the user's, the message id, expectations, TTL."""
    hdrs = check_headers(headers) or {}
    if msg_id is not None:
        if not isinstance(msg_id, str) or not msg_id:
            raise ValidationError(f"msg_id must be a non-empty str, not {msg_id!r}.")
        if "\r" in msg_id or "\n" in msg_id:
            raise ValidationError(f"msg_id {msg_id!r} must be one line (no CR or LF).")
        hdrs[MSG_ID] = msg_id
    for key, value in expect.items():
        if value is None:
            continue
        if key in ("expected_stream", "expected_last_msg_id", "expected_last_subject_seq_subject"):
            if not isinstance(value, str) or not value or "\r" in value or "\n" in value:
                raise ValidationError(f"{key} must be a non-empty one-line str, not {value!r}.")
            try:
                if key == "expected_stream":
                    names.check_stream_name(value)
                if key == "expected_last_subject_seq_subject":
                    names.check_filter_subject(value)
            except (ValidationError, JslabTypeError) as e:
                raise type(e)(f"{key}: {e}") from None
            hdrs[EXPECT_HEADERS[key]] = value
        else:
            hdrs[EXPECT_HEADERS[key]] = str(arguments.count(key, value, minimum=0))
    if expect.get("expected_last_subject_seq_subject") is not None and expect.get(
            "expected_last_subject_seq") is None:
        raise ValidationError(
            "expected_last_subject_seq_subject scopes expected_last_subject_seq to a wildcard "
            "subject: give both, e.g. expected_last_subject_seq=4, "
            "expected_last_subject_seq_subject='orders.7.*'."
        )
    if ttl is not None:
        hdrs["Nats-TTL"] = ttl_header(ttl)
    return hdrs or None


def ttl_header(ttl: Any) -> str:
    """A per-message TTL as the header's value: seconds (>= 1), a Go duration, or 'never'."""
    if isinstance(ttl, str):
        if ttl != "never" and not (ttl[:-1].replace(".", "", 1).isdigit()
                                   and ttl[-1] in "smh" and float(ttl[:-1]) > 0):
            raise ValidationError(f"ttl={ttl!r}: use seconds (e.g. 5), a Go duration like '5s', "
                                  "'2m' or '1h', or 'never'.")
        return ttl
    seconds = arguments.seconds("ttl", ttl, minimum=1, maximum=10 * 365 * 86400)
    return f"{int(seconds)}s"


def prepare_one(session: Session, subject: Any, data: Any,
                headers: dict[str, str] | None) -> Prepared:
    """Check one message against the kit's rules and the server's limits; encode it."""
    names.check_publish_subject(subject)
    session.check_subject_fits(subject)
    payload = encode_payload(data)
    session.check_message_fits(payload, headers, f"the message to {subject!r}")
    return subject, payload, headers


def prepare_many(session: Session, subject_or_messages: Any, payloads: Iterable[Any] | None,
                 headers: Mapping | None) -> list[Prepared]:
    """``(subject, payloads)`` or an iterable of ``(subject, data[, headers])``, checked."""
    base = check_headers(headers)
    if isinstance(subject_or_messages, str):
        subj = subject_or_messages
        if payloads is None or isinstance(payloads, (str, bytes)) or not isinstance(
                payloads, Iterable):
            raise ValidationError(
                "publish_many(subject, payloads) needs an iterable of payloads, e.g. "
                "publish_many('orders.new', [b'a', b'b'])."
            )
        names.check_publish_subject(subj)
        session.check_subject_fits(subj)
        out = []
        for i, p in enumerate(payloads):
            payload = _encode_at(i, p)
            session.check_message_fits(payload, base, f"message {i}")
            out.append((subj, payload, base))
        return out
    if payloads is not None:
        raise ValidationError(
            "give either publish_many(subject, payloads) or publish_many(messages) with "
            "(subject, data) pairs, not both."
        )
    if subject_or_messages is None or isinstance(subject_or_messages, (bytes, Mapping)) or \
            not isinstance(subject_or_messages, Iterable):
        raise JslabTypeError(
            f"publish_many takes a subject and payloads, or an iterable of (subject, data) "
            f"pairs, not {type(subject_or_messages).__name__}. Example: "
            "publish_many([('orders.eu', 'a'), ('orders.us', 'b')])."
        )
    out = []
    checked: set[str] = set()
    for i, item in enumerate(subject_or_messages):
        if isinstance(item, (str, bytes)) or not isinstance(item, (tuple, list)) or not (
                2 <= len(item) <= 3):
            raise JslabTypeError(
                f"message {i} must be (subject, data) or (subject, data, headers), not "
                f"{item!r}. Nothing was sent."
            )
        s = item[0]
        if not isinstance(s, str) or s not in checked:
            try:
                names.check_publish_subject(s)
                session.check_subject_fits(s)
            except (ValidationError, JslabTypeError) as e:
                raise type(e)(f"message {i}: {e} Nothing was sent.") from None
            checked.add(s)
        h = base
        if len(item) == 3 and item[2]:
            h = {**(base or {}), **(check_headers(item[2]) or {})}
        payload = _encode_at(i, item[1])
        session.check_message_fits(payload, h, f"message {i}")
        out.append((s, payload, h))
    return out


def _encode_at(i: int, data: Any) -> bytes:
    try:
        return encode_payload(data)
    except (ValidationError, JslabTypeError) as e:
        raise type(e)(f"message {i}: {e} Nothing was sent.") from None


# ---------------------------------------------------------------------------------- sending
async def publish_one(session: Session, subject: str, payload: bytes,
                      headers: dict[str, str] | None, timeout: float) -> api.PubAck:
    """One JetStream publish: send, wait for the stream's acknowledgement."""
    __tracebackhide__ = True  # keep learners' tracebacks short
    op = f"publish to {subject}"
    ctx = {"subject": subject, **session.cluster_context}
    try:
        msg = await session.request_msg(
            subject, payload, headers=headers, timeout=timeout, operation=op, context=ctx,
            no_responders=lambda: NoStreamForSubjectError(operation=op, context=ctx))
    except NotConnectedError:
        raise NotConnectedError(
            f"{NotConnectedError.default_message} ({op}). The message may or may not have been "
            "stored: publish again with the same msg_id to be sure it is stored once."
        ) from None
    try:
        ack = _pub_ack(msg, op, ctx)
    except JetStreamError as e:
        session.published(subject, e)
        raise
    session.published(subject, ack)
    session.note_stored()
    return ack


def _pub_ack(msg: Any, op: str, ctx: Mapping[str, Any]) -> api.PubAck:
    if not msg.data:
        err = status_error(msg.headers, op, ctx)
        if err is not None:
            raise err
        raise JetStreamError(
            "the stream answered with an empty reply", operation=op, context=dict(ctx),
            hint="A stream answers a message inside an atomic batch (Nats-Batch-Id header) "
            "that is not the commit with an empty reply: it is held until the batch commits. "
            "Publish batches with lab.publish_batch(messages) instead of hand-written headers.",
        )
    answer = json.loads(msg.data)
    err = api_error(answer, op, ctx)
    if err is not None:
        raise err
    return PubAck.from_response(answer)


async def publish_many(session: Session, prepared: list[Prepared],
                       bar: Progress | None = None) -> PublishResult:
    """Publish pipelined, up to MAX_IN_FLIGHT unacknowledged; every ack collected here.

    Stops sending at the first refusal (later ones would be refused too, e.g. a full stream),
    waits for the answers of what was sent, and raises ``PublishError`` naming what was stored,
    refused, unanswered and not sent. A stall of ``session.timeout`` with no answer ends it.
    """
    nc = session.nc
    n = len(prepared)
    t0 = time.perf_counter()
    seqs = array.array("q", bytes(8 * n))  # 0 = no ack (yet)
    refused: dict[int, JetStreamError] = {}
    duplicates: list[int] = []
    state = {"answered": 0, "stream": None, "last_answer": time.monotonic()}
    window_open = asyncio.Event()
    all_in = asyncio.Event()
    sent = 0
    inbox = nc.new_inbox()
    prefix_len = len(inbox) + 1

    async def on_reply(msg: Any) -> None:
        try:
            i = int(msg.subject[prefix_len:])
        except ValueError:
            return
        if i >= n or seqs[i] or i in refused:
            return  # a late duplicate answer
        state["last_answer"] = time.monotonic()
        subject = prepared[i][0]
        ctx = {"subject": subject, **session.cluster_context}
        op = f"publish_many message {i} to {subject}"
        if not msg.data:
            headers = msg.headers or {}
            if headers.get("Status") == "503":
                refused[i] = NoStreamForSubjectError(operation=op, context=ctx)
            else:
                refused[i] = status_error(headers, op, ctx) or JetStreamError(
                    "empty reply", operation=op, context=ctx)
        else:
            answer = json.loads(msg.data)
            err = api_error(answer, op, ctx)
            if err is not None:
                refused[i] = err
            else:
                seqs[i] = answer["seq"]
                state["stream"] = answer.get("stream")
                if answer.get("duplicate"):
                    duplicates.append(i)
        state["answered"] += 1
        if sent - state["answered"] < MAX_IN_FLIGHT // 2:
            window_open.set()
        if state["answered"] >= sent and sending_done:
            all_in.set()

    sending_done = False
    sub = await session.guard(nc.subscribe(f"{inbox}.*", cb=on_reply,
                                           pending_msgs_limit=MAX_IN_FLIGHT * 4),
                              "publish_many")
    stalled = False
    try:
        publish = nc.publish
        for i, (s, d, h) in enumerate(prepared):
            if refused:
                break  # later messages would meet the same refusal
            if sent - state["answered"] >= MAX_IN_FLIGHT:
                window_open.clear()
                if not await _wait(window_open, state, session.timeout):
                    stalled = True
                    break
            await session.guard(publish(s, d, reply=f"{inbox}.{i}", headers=h),
                                f"publish_many message {i} to {s}", {"subject": s})
            sent += 1
            if bar is not None and i % 2000 == 1999:
                bar.update(state["answered"])
        sending_done = True
        if state["answered"] < sent and not stalled:
            await session.guard(nc.flush(session.timeout), "publish_many")
            all_in.clear()
            if state["answered"] < sent:
                stalled = not await _wait(all_in, state, session.timeout)
    except NotConnectedError:
        stalled = True
    finally:
        with contextlib.suppress(Exception):
            await sub.unsubscribe()
    if bar is not None:
        bar.update(state["answered"])
    stored = {i: seqs[i] for i in range(sent) if seqs[i]}
    if stored:
        session.note_stored()
    if session.on_publish:  # only when someone listens (a lab.diff block)
        dup = set(duplicates)
        for i in range(sent):
            if i in refused or seqs[i]:
                session.published(prepared[i][0], refused.get(i) or api.PubAck(
                    stream=state["stream"], seq=seqs[i], duplicate=i in dup))
    if refused or stalled or sent < n:
        unanswered = [i for i in range(sent) if not seqs[i] and i not in refused]
        first = refused[min(refused)] if refused else None
        extra = {} if refused else {"description": "no answer from the server", "hint": (
                "The server stopped answering (killed, restarting, or overloaded). Messages "
                f"{_ranges(unanswered)} were sent without an answer and messages {sent}.."
                f"{n - 1} were not sent. Check lab.stream_info(...) and publish the missing "
                "ones again, with msg ids so none is stored twice."
                if sent < n else
                "The server stopped answering (killed, restarting, or overloaded). Publish "
                "the unanswered messages again with msg ids so none is stored twice.")}
        raise PublishError.about(
            first, stored=stored, refused=refused, unanswered=unanswered, total=n,
            operation="publish_many", context=dict(first.context) if first else {}, **extra)
    first = min(stored.values(), default=None)
    last = max(stored.values(), default=None)
    return PublishResult(n, state["stream"], first, last, len(duplicates),
                         elapsed=time.perf_counter() - t0, seqs=seqs,
                         duplicate_indices=tuple(duplicates))


async def _wait(event: asyncio.Event, state: dict, stall: float) -> bool:
    """Wait for ``event`` while answers keep coming; False after ``stall`` s without one."""
    while True:
        try:
            await asyncio.wait_for(event.wait(), 0.25)
            return True
        except asyncio.TimeoutError:
            if time.monotonic() - state["last_answer"] > stall:
                return False


def _ranges(idx: list[int]) -> str:
    if not idx:
        return "none"
    out, start, prev = [], idx[0], idx[0]
    for i in [*idx[1:], None]:  # type: ignore[list-item]
        if i is not None and i == prev + 1:
            prev = i
            continue
        out.append(str(start) if start == prev else f"{start}..{prev}")
        if i is not None:
            start = prev = i
    text = ", ".join(out[:5])
    return text + (", ..." if len(out) > 5 else "")


async def publish_batch(session: Session, prepared: list[Prepared],
                        timeout: float) -> api.PubAck:
    """An atomic batch: every message is stored, or none (server >= 2.12, allow_atomic).

    The first message is sent as a request (the stream answers once the batch is open), the
    middle ones without a reply, and the last carries ``Nats-Batch-Commit`` and gets the
    stream's acknowledgement for the whole batch.
    """
    batch_id = uuid.uuid4().hex[:22]
    n = len(prepared)
    op = "publish_batch"
    for i, (s, d, h) in enumerate(prepared):
        hdrs = {**(h or {}), "Nats-Batch-Id": batch_id, "Nats-Batch-Sequence": str(i + 1)}
        ctx = {"subject": s, **session.cluster_context}
        if i == n - 1:
            hdrs["Nats-Batch-Commit"] = "1"
            msg = await session.request_msg(
                s, d, headers=hdrs, timeout=timeout, operation=f"{op} commit", context=ctx,
                no_responders=lambda s=s: NoStreamForSubjectError(operation=op,
                                                                  context={"subject": s}))
            ack = _pub_ack(msg, f"{op} commit (message {i})", ctx)
            session.note_stored()
            return ack
        if i == 0:
            msg = await session.request_msg(
                s, d, headers=hdrs, timeout=timeout, operation=f"{op} message 0", context=ctx,
                no_responders=lambda s=s: NoStreamForSubjectError(operation=op,
                                                                  context={"subject": s}))
            if msg.data:
                err = api_error(json.loads(msg.data), f"{op} message 0", ctx)
                if err is not None:
                    raise err
            continue
        await session.guard(session.nc.publish(s, d, headers=hdrs), f"{op} message {i}", ctx)
    raise AssertionError("unreachable: the last message commits")


def check_batch(prepared: list[Prepared]) -> None:
    if not prepared:
        raise ValidationError("publish_batch needs at least one message.")
    if len(prepared) > MAX_BATCH:
        raise ValidationError(
            f"an atomic batch holds at most {MAX_BATCH:,} messages, not {len(prepared):,}: "
            "split it, or use publish_many when all-or-nothing is not needed."
        )


def timeout_seconds(timeout: Any, default: float) -> float:
    """A call's timeout: None means the lab's; otherwise seconds > 0."""
    if timeout is None:
        return default
    return arguments.seconds("timeout", timeout, minimum=0.001)

