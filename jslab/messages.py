"""Message payloads and the message objects a notebook holds.

Payloads go out as bytes: ``bytes`` as they are, ``str`` as UTF-8, anything else as JSON.
They come back decoded the same way: JSON to objects, other UTF-8 text to ``str``, the rest
as ``bytes``; ``.raw`` always keeps the original bytes.

    >>> encode_payload({"id": 1})
    b'{"id": 1}'
    >>> decode_payload(b'{"id": 1}')
    {'id': 1}
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import JslabTypeError, ValidationError

if TYPE_CHECKING:  # pragma: no cover
    from .deliveries import Deliveries

__all__ = [
    "Batch", "CoreMessage", "JsMessage", "PublishResult", "StoredMessage", "decode_payload",
    "encode_payload",
]

_JSON_START = frozenset(b'{["-0123456789tfn')


def encode_payload(data: Any) -> bytes:
    """bytes as they are, str as UTF-8, None as empty, anything else as standard JSON.

    NaN and infinity are refused: Python would write them as ``NaN``/``Infinity``, which is not
    JSON and which other clients (Go, JavaScript, jq) cannot read back.
    """
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, str):
        try:
            return data.encode()
        except UnicodeEncodeError as e:
            raise ValidationError(
                f"cannot publish this str: it contains {data[e.start]!r} at position {e.start}, "
                "which has no UTF-8 form (a lone surrogate, usually left by a broken decode). "
                "Fix the text, or publish bytes."
            ) from None
    if data is None:
        return b""
    try:
        return json.dumps(data, separators=(", ", ": "), allow_nan=False).encode()
    except ValueError as e:
        if "JSON compliant" in str(e) or "out of range float" in str(e).lower():
            raise ValidationError(
                f"cannot publish this payload (a {type(data).__name__}) with NaN or infinity: "
                "JSON has no such numbers, so other clients could not read the message back. "
                "Replace them (e.g. with None) before publishing, or publish text you format "
                "yourself."
            ) from None
        raise JslabTypeError(
            f"cannot publish a {type(data).__name__}: {e}. A payload must be bytes, str, or a "
            "JSON-serialisable object (dict, list, str, number, bool, None)."
        ) from None
    except (TypeError, RecursionError) as e:
        raise JslabTypeError(
            f"cannot publish a {type(data).__name__}: {e}. A payload must be bytes, str, or a "
            "JSON-serialisable object (dict, list, str, number, bool, None). Convert it first, "
            "e.g. json.dumps(obj, default=str) or obj.isoformat() for dates."
        ) from None


def decode_payload(raw: bytes) -> Any:
    """JSON to objects, other UTF-8 text to str, anything else stays bytes."""
    if not raw:
        return b""
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        return raw
    if any(c < " " and c not in "\t\n\r" for c in text):
        return raw  # control characters: binary data that happens to be valid UTF-8
    if raw[0] in _JSON_START:
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def parse_header_block(block: bytes) -> dict[str, str] | None:
    """Headers from a raw ``NATS/1.0`` header block (as the stream API returns them)."""
    out: dict[str, str] = {}
    for line in block.decode(errors="replace").split("\r\n")[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip()
    return out or None


_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def check_headers(headers: Mapping[str, Any] | None) -> dict[str, str] | None:
    """Headers as a dict of str to str, checked the way the NATS header block needs them.

    Names are non-empty tokens (letters, digits and ``!#$%&'*+-.^_`|~``: no spaces, ':', CR or
    LF); values are single-line text without leading or trailing whitespace (the header block
    would trim it). int and float values are written with str(); anything else is refused.
    """
    if headers is None:
        return None
    if not isinstance(headers, Mapping):
        raise JslabTypeError(
            f"headers must be a dict of str to str, not {type(headers).__name__}. "
            "Example: headers={'Trace-Id': 'abc'}"
        )
    out = {}
    for k, v in headers.items():
        if not isinstance(k, str):
            raise JslabTypeError(
                f"header name {k!r} is a {type(k).__name__}: header names are text. "
                "Example: headers={'Trace-Id': 'abc'}"
            )
        if not _HEADER_NAME.fullmatch(k):
            if not k:
                problem = "is empty"
            elif "\r" in k or "\n" in k:
                problem = "contains a line break"
            elif ":" in k:
                problem = "contains ':'"
            elif any(c.isspace() for c in k):
                problem = "contains whitespace"
            else:
                bad = sorted({c for c in k if not _HEADER_NAME.fullmatch(c)})
                problem = f"contains {', '.join(repr(c) for c in bad)}"
            fixed = re.sub(r"[^!#$%&'*+\-.^_`|~0-9A-Za-z]+", "-", k).strip("-") or "Trace-Id"
            raise ValidationError(
                f"header name {k!r} {problem}: each header travels as a 'Name: value' line, so "
                "names may only use letters, digits and !#$%&'*+-.^_`|~ (no spaces, ':' or line "
                f"breaks). Try {fixed!r}."
            )
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            v = str(v)
        if not isinstance(v, str):
            raise JslabTypeError(
                f"header {k!r} has value {_short(v)} ({type(v).__name__}): header values are "
                "single-line strings. Convert it, e.g. str(value) or json.dumps(value)."
            )
        if "\r" in v or "\n" in v:
            raise ValidationError(
                f"header {k!r} has a value with a line break ({_short(v)}): each header is one "
                "line, so the client would replace it with a space. Put multi-line text in the "
                "payload, or encode it (e.g. json.dumps(value))."
            )
        if v != v.strip():
            raise ValidationError(
                f"header {k!r} has a value with leading or trailing whitespace ({_short(v)}): the "
                "header block trims it, so the receiver would get a different value. Strip it "
                "first (value.strip())."
            )
        out[k] = v
    return out


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class PublishResult:
    """What ``publish_many`` did: how many messages, where they landed, how many were duplicates."""

    count: int
    stream: str | None
    first_seq: int | None
    last_seq: int | None
    duplicates: int = 0
    elapsed: float = field(default=0.0, compare=False, repr=False)
    #: The stream sequence each message got, in the order given (an ``array('q')``).
    seqs: Any = field(default=(), compare=False, repr=False)
    #: Indices of the messages the stream reported as duplicates (same msg id in the window).
    duplicate_indices: tuple[int, ...] = field(default=(), compare=False, repr=False)

    def acks(self) -> list[tuple[int, int, bool]]:
        """One ``(index, stream seq, duplicate)`` per message: check every acknowledgement.

            >>> [i for i, seq, dup in lab.publish_many("orders.new", data).acks() if dup]
        """
        dups = set(self.duplicate_indices)
        return [(i, int(s), i in dups) for i, s in enumerate(self.seqs)]

    @property
    def rate(self) -> float:
        """Messages per second over the whole call."""
        return self.count / self.elapsed if self.elapsed else float("inf")

    def __repr__(self) -> str:
        where = f" to {self.stream}" if self.stream else ""
        seqs = f" (seq {self.first_seq}..{self.last_seq})" if self.first_seq is not None else ""
        dup = f", {self.duplicates} duplicates" if self.duplicates else ""
        return f"<PublishResult {self.count} messages{where}{seqs}{dup}>"


@dataclass(frozen=True)
class StoredMessage:
    """A message read from a stream by sequence or by subject (not a delivery: nothing to ack)."""

    stream: str
    seq: int
    subject: str
    raw: bytes
    headers: Mapping[str, str] | None
    time: _dt.datetime | None

    @property
    def data(self) -> Any:
        return decode_payload(self.raw)

    def __repr__(self) -> str:
        hdr = f" headers={dict(self.headers)!r}" if self.headers else ""
        return f"<StoredMessage {self.stream}#{self.seq} {self.subject} {_short(self.data)}{hdr}>"


@dataclass(frozen=True)
class CoreMessage:
    """A core NATS message (from a core subscription or a request's reply).

    ``respond(data)`` answers it when the sender asked for a reply (``reply`` is set).
    """

    subject: str
    raw: bytes
    headers: Mapping[str, str] | None
    reply: str | None = None
    _lab: Any = field(default=None, repr=False, compare=False)

    @property
    def data(self) -> Any:
        return decode_payload(self.raw)

    def respond(self, data: Any = b"") -> None:
        """Publish ``data`` to this message's reply subject."""
        if not self.reply:
            raise JslabTypeError(
                f"the message on {self.subject!r} has no reply subject: its sender did not ask "
                "for an answer (use lab.request to send one that does)."
            )
        self._lab.publish_core(self.reply, data)

    def __repr__(self) -> str:
        hdr = f" headers={dict(self.headers)!r}" if self.headers else ""
        return f"<CoreMessage {self.subject} {_short(self.data)}{hdr}>"


class JsMessage:
    """A message delivered by a consumer. Acknowledge it with ``ack()``, ``nak()``, ``term()``...

        >>> for msg in lab.fetch("ORDERS", "shipping", 10):
        ...     msg.ack()
    """

    __slots__ = ("_answered", "_deliveries", "_ids", "_md_cache", "_msg")

    def __init__(self, deliveries: Deliveries, msg: Any) -> None:
        self._deliveries = deliveries
        self._msg = msg
        self._md_cache: Any = None
        self._ids: tuple[int, int, int] | None = None
        self._answered: str | None = None  # the last final answer sent (ack, nak, term)

    def _reply_ids(self) -> tuple[int, int, int]:
        # (times delivered, stream seq, consumer seq) read straight from the reply subject,
        # $JS.ACK[.<domain>.<account hash>].<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>
        # .<pending>[.<token>]: cheaper than nats-py's full metadata (no timestamp parsing), so
        # batch paths that only need numbers stay fast.
        ids = self._ids
        if ids is None:
            t = self._msg.reply.split(".")
            i = 4 if len(t) == 9 else 6
            ids = self._ids = (int(t[i]), int(t[i + 1]), int(t[i + 2]))
        return ids

    @property
    def _md(self) -> Any:
        # Parsed on first use: batch paths that never look at it skip the cost.
        if self._md_cache is None:
            self._md_cache = self._msg.metadata
        return self._md_cache

    @property
    def stream(self) -> str:
        return self._md.stream

    @property
    def consumer(self) -> str:
        return self._md.consumer

    # -- content -------------------------------------------------------------------
    @property
    def subject(self) -> str:
        return self._msg.subject

    @property
    def raw(self) -> bytes:
        return self._msg.data

    @property
    def data(self) -> Any:
        return decode_payload(self._msg.data)

    @property
    def headers(self) -> dict[str, str] | None:
        return self._msg.headers

    @property
    def reply(self) -> str:
        """The subject its answers (ack, nak, ...) go to: ``$JS.ACK.<stream>.<consumer>...``."""
        return self._msg.reply

    # -- metadata ------------------------------------------------------------------
    @property
    def metadata(self) -> Any:
        """nats-py metadata: sequence (stream/consumer), num_delivered, num_pending, timestamp."""
        return self._md

    @property
    def seq(self) -> int:
        """Stream sequence of this message."""
        return self._reply_ids()[1]

    @property
    def consumer_seq(self) -> int:
        return self._reply_ids()[2]

    @property
    def num_delivered(self) -> int:
        return self._reply_ids()[0]

    @property
    def num_pending(self) -> int:
        return self._md.num_pending

    @property
    def time(self) -> _dt.datetime:
        return self._md.timestamp

    @property
    def nats_msg(self) -> Any:
        """The nats-py ``Msg`` (lives on the loop thread; await its coroutines via lab.aio.run)."""
        return self._msg

    # -- acknowledgement -------------------------------------------------------------
    def ack(self) -> None:
        """Acknowledge. Like nats-py, the server does not confirm: use ack_sync() to wait."""
        self._deliveries.answer(self, "ack")

    def ack_sync(self, timeout: float = 2.0) -> None:
        """Acknowledge and wait until the server confirms it recorded the ack ("double ack")."""
        self._deliveries.answer(self, "ack_sync", timeout=timeout)

    def nak(self, delay: float | None = None) -> None:
        """Negative ack: redeliver now, or after ``delay`` seconds."""
        self._deliveries.answer(self, "nak", delay=delay)

    def in_progress(self) -> None:
        """Tell the server work is still going on: resets the ack_wait timer."""
        self._deliveries.answer(self, "in_progress")

    def term(self, reason: str | None = None) -> None:
        """Stop redelivering this message. On a limits stream it stays stored; on work-queue
        and interest streams the server removes it."""
        self._deliveries.answer(self, "term", reason=reason)

    @property
    def acked(self) -> bool:
        """Whether the kit already answered it with ack, nak or term."""
        return self._answered is not None

    def __repr__(self) -> str:
        redelivered = f" delivered={self.num_delivered}" if self.num_delivered > 1 else ""
        return (
            f"<JsMessage {self.stream}#{self.seq} {self.subject} {_short(self.data)}"
            f"{redelivered}>"
        )


class Batch(list):
    """The messages one fetch returned (possibly none). A list, plus batch helpers.

        >>> batch = lab.fetch("ORDERS", "shipping", 10, wait=0.5)
        >>> batch.seqs, len(batch)
    """

    def __init__(self, messages=(), *, stream: str = "", consumer: str = "",
                 status: str | None = None) -> None:
        super().__init__(messages)
        self.stream = stream
        self.consumer = consumer
        #: Why the server stopped sending: "404 No Messages", "408 Request Timeout", or None
        #: when the batch filled up.
        self.status = status

    def __add__(self, other: Any) -> Batch:
        """Batches join into a batch (so ``(a + b).ack()`` works)."""
        return Batch([*self, *other], stream=self.stream, consumer=self.consumer)

    @property
    def seqs(self) -> list[int]:
        return [m.seq for m in self]

    @property
    def data(self) -> list[Any]:
        return [m.data for m in self]

    def ack(self) -> None:
        """Acknowledge every message of the batch in one round trip."""
        if self:
            self[0]._deliveries.answer_many(list(self), "ack")

    def ack_sync(self, timeout: float = 2.0) -> None:
        if self:
            self[0]._deliveries.answer_many(list(self), "ack_sync", timeout=timeout)

    def nak(self, delay: float | None = None) -> None:
        if self:
            self[0]._deliveries.answer_many(list(self), "nak", delay=delay)

    def term(self) -> None:
        if self:
            self[0]._deliveries.answer_many(list(self), "term")

    def __repr__(self) -> str:
        if not self:
            why = f" ({self.status})" if self.status else ""
            return f"<Batch {self.consumer}: no messages{why}>"
        lines = [f"<Batch {self.consumer}: {len(self)} messages, seq {_ranges(self.seqs)}>"]
        for m in self[:20]:
            lines.append(f"  {m!r}")
        if len(self) > 20:
            lines.append(f"  … {len(self) - 20} more")
        return "\n".join(lines)

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(repr(self))


def _ranges(seqs: list[int]) -> str:
    """[1,2,3,5] -> '1-3, 5' (sorted copy)."""
    out: list[str] = []
    s = sorted(seqs)
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[j] + 1:
            j += 1
        out.append(str(s[i]) if i == j else f"{s[i]}-{s[j]}")
        i = j + 1
    return ", ".join(out)
