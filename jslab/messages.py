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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import JslabTypeError

if TYPE_CHECKING:  # pragma: no cover
    from .lab import Lab

__all__ = [
    "Batch", "CoreMessage", "JsMessage", "PublishResult", "StoredMessage", "decode_payload",
    "encode_payload",
]

_JSON_START = frozenset(b'{["-0123456789tfn')


def encode_payload(data: Any) -> bytes:
    """bytes as they are, str as UTF-8, None as empty, anything else as JSON."""
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, str):
        return data.encode()
    if data is None:
        return b""
    try:
        return json.dumps(data, separators=(", ", ": ")).encode()
    except (TypeError, ValueError) as e:
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


def check_headers(headers: Mapping[str, Any] | None) -> dict[str, str] | None:
    if headers is None:
        return None
    if not isinstance(headers, Mapping):
        raise JslabTypeError(
            f"headers must be a dict of str to str, not {type(headers).__name__}. "
            "Example: headers={'Trace-Id': 'abc'}"
        )
    out = {}
    for k, v in headers.items():
        if not isinstance(k, str) or not k or any(c in k for c in " :\r\n"):
            raise JslabTypeError(
                f"header name {k!r} is not valid: header names are non-empty strings without "
                "spaces, ':' or newlines. Example: headers={'Trace-Id': 'abc'}"
            )
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            v = str(v)
        if not isinstance(v, str) or "\r" in v or "\n" in v:
            raise JslabTypeError(
                f"header {k!r} has value {v!r}: header values are single-line strings. "
                "Convert it, e.g. str(value)."
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

    __slots__ = ("_lab", "_md_cache", "_msg")

    def __init__(self, lab: Lab, msg: Any) -> None:
        self._lab = lab
        self._msg = msg
        self._md_cache: Any = None

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

    # -- metadata ------------------------------------------------------------------
    @property
    def metadata(self) -> Any:
        """nats-py metadata: sequence (stream/consumer), num_delivered, num_pending, timestamp."""
        return self._md

    @property
    def seq(self) -> int:
        """Stream sequence of this message."""
        return self._md.sequence.stream

    @property
    def consumer_seq(self) -> int:
        return self._md.sequence.consumer

    @property
    def num_delivered(self) -> int:
        return self._md.num_delivered

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
        self._lab._ack(self, "ack")

    def ack_sync(self, timeout: float = 2.0) -> None:
        """Acknowledge and wait until the server confirms it recorded the ack ("double ack")."""
        self._lab._ack(self, "ack_sync", timeout=timeout)

    def nak(self, delay: float | None = None) -> None:
        """Negative ack: redeliver now, or after ``delay`` seconds."""
        self._lab._ack(self, "nak", delay=delay)

    def in_progress(self) -> None:
        """Tell the server work is still going on: resets the ack_wait timer."""
        self._lab._ack(self, "in_progress")

    def term(self, reason: str | None = None) -> None:
        """Stop redelivering this message (it is not retried, and not deleted)."""
        self._lab._ack(self, "term", reason=reason)

    @property
    def acked(self) -> bool:
        return bool(self._msg._ackd)

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

    def __init__(self, messages=(), *, stream: str = "", consumer: str = "") -> None:
        super().__init__(messages)
        self.stream = stream
        self.consumer = consumer

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
            self[0]._lab._ack_many(list(self), "ack")

    def ack_sync(self, timeout: float = 2.0) -> None:
        if self:
            self[0]._lab._ack_many(list(self), "ack_sync", timeout=timeout)

    def nak(self, delay: float | None = None) -> None:
        if self:
            self[0]._lab._ack_many(list(self), "nak", delay=delay)

    def term(self) -> None:
        if self:
            self[0]._lab._ack_many(list(self), "term")

    def __repr__(self) -> str:
        if not self:
            return f"<Batch {self.consumer}: no messages>"
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
