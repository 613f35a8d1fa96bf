"""The server's answers with short reprs: a notebook shows what matters, not 40 fields.

These are nats-py's own dataclasses (every field, every attribute name is the same), built
from the raw API answers; only how they print differs.

    >>> lab.publish("orders.new", b"x")
    PubAck(stream='ORDERS', seq=1)
    >>> lab.stream_info("ORDERS")
    StreamInfo(ORDERS: 1 message, seq 1..1, 0 consumers; subjects orders.>, limits, file)
"""

from __future__ import annotations

from typing import Any

from nats.js import api

__all__ = ["ConsumerInfo", "PubAck", "StreamInfo"]


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _value(v: Any) -> str:
    return getattr(v, "value", v) if v is not None else "-"


class _Short:
    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))


class PubAck(_Short, api.PubAck):
    """A stream's acknowledgement of one publish (nats-py's PubAck, short repr)."""

    def __repr__(self) -> str:
        extra = [f"{k}={getattr(self, k)!r}" for k in
                 ("duplicate", "domain", "batch_id", "batch_size", "val") if getattr(self, k)]
        return f"PubAck(stream={self.stream!r}, seq={self.seq}{''.join(', ' + e for e in extra)})"


class StreamInfo(_Short, api.StreamInfo):
    """A stream's configuration and state (nats-py's StreamInfo, short repr)."""

    def __repr__(self) -> str:
        c, s = self.config, self.state
        span = f"seq {s.first_seq}..{s.last_seq}" if s.messages else f"last seq {s.last_seq}"
        subjects = ", ".join(c.subjects or [c.name])
        return (f"StreamInfo({c.name}: {_plural(s.messages, 'message')}, {span}, "
                f"{_plural(s.consumer_count, 'consumer')}; subjects {subjects}, "
                f"{_value(c.retention)}, {_value(c.storage)})")


class ConsumerInfo(_Short, api.ConsumerInfo):
    """A consumer's configuration and position (nats-py's ConsumerInfo, short repr)."""

    @classmethod
    def from_response(cls, resp: dict[str, Any]) -> ConsumerInfo:
        info = super().from_response(resp)
        if info.paused is None:  # the server leaves the field out unless it is paused
            info.paused = False
        return info

    def __repr__(self) -> str:
        c = self.config
        kind = "durable" if c.durable_name else "ephemeral"
        kind += " push" if c.deliver_subject else " pull"
        filters = c.filter_subjects or ([c.filter_subject] if c.filter_subject else [])
        where = f", filter {', '.join(filters)}" if filters else ""
        return (f"ConsumerInfo({self.stream_name}/{self.name}: {kind}, ack "
                f"{_value(c.ack_policy)}, deliver {_value(c.deliver_policy)}{where}; delivered "
                f"{self.delivered.stream_seq if self.delivered else 0}, ack floor "
                f"{self.ack_floor.stream_seq if self.ack_floor else 0}, "
                f"{self.num_ack_pending} ack pending, {self.num_pending} unprocessed)")
