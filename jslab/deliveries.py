"""What the kit fetched, acknowledged and left pending, per consumer, in one thread-safe place.

The pictures need to know which sequences a consumer delivered and nobody has answered yet
(the server only counts them). Every delivery the kit hands out through a fetch is recorded
here, every answer (ack, nak, term, in_progress) goes out from here, and plain acks, which
the server does not confirm, are remembered until ``settle()`` has made sure the server
processed them, so the next picture is true.

    >>> batch = lab.fetch("ORDERS", "shipping", 2)
    >>> lab.session.deliveries.seen("ORDERS")
    {'shipping': {1: 1, 2: 1}}
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as _dt
import json
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from . import arguments
from .errors import ConsumerNotFoundError, JetStreamError, JslabError, ValidationError
from .pull import PullFetcher

if TYPE_CHECKING:
    from .messages import JsMessage
    from .session import Session

__all__ = ["ANSWERS", "Deliveries", "DeliveryEvent"]

#: Events kept per consumer (the oldest go first): enough for any lesson, bounded for soak runs.
EVENTS_PER_CONSUMER = 100_000


class DeliveryEvent(NamedTuple):
    """One thing the kit saw happen to one delivery of one message.

    ``kind`` is "delivered" (a fetch handed it out; ``num_delivered`` says which delivery),
    or the answer sent: "ack", "ack_sync", "nak", "in_progress", "term". ``delay`` is a nak's
    delay in seconds. ``time`` is wall-clock UTC.
    """

    time: _dt.datetime
    seq: int
    kind: str
    num_delivered: int
    delay: float | None = None

# What each answer sends on the message's reply subject.
ANSWERS = {"ack": b"+ACK", "ack_sync": b"+ACK", "nak": b"-NAK", "in_progress": b"+WPI",
           "term": b"+TERM"}
# Answers after which nothing more may be said about a delivery (a client rule, like
# nats-py's: the server itself accepts a later answer on the same reply subject).
_FINAL = {"ack", "ack_sync", "nak", "term"}


class Deliveries:
    """Delivery and ack bookkeeping for one session; safe to use from any thread."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._lock = threading.Lock()
        # (stream, consumer) -> {stream seq: times delivered} fetched and not acked yet.
        self._seen: dict[tuple[str, str], dict[int, int]] = {}
        # (stream, consumer) -> reply subject of the last plain (unconfirmed) ack.
        self._unsettled: dict[tuple[str, str], str] = {}
        self._fetchers: dict[tuple[str, str], PullFetcher] = {}
        self._events: dict[tuple[str, str], collections.deque[DeliveryEvent]] = {}

    # ------------------------------------------------------------------ the record
    def seen(self, stream: str) -> dict[str, dict[int, int]]:
        """A copy of what each consumer of ``stream`` delivered to the kit, not yet acked."""
        with self._lock:
            return {c: dict(s) for (st, c), s in self._seen.items() if st == stream}

    def events(self, stream: str, consumer: str) -> list[DeliveryEvent]:
        """What the kit saw happen to the deliveries of one consumer, oldest first."""
        with self._lock:
            return list(self._events.get((stream, consumer), ()))

    def _log(self, key: tuple[str, str], events: Iterable[DeliveryEvent]) -> None:
        with self._lock:
            log = self._events.get(key)
            if log is None:
                log = self._events[key] = collections.deque(maxlen=EVENTS_PER_CONSUMER)
            log.extend(events)

    def _record(self, stream: str, consumer: str, msgs: Iterable[JsMessage]) -> None:
        now = _now()
        with self._lock:
            seen = self._seen.setdefault((stream, consumer), {})
            for m in msgs:
                seen[m.seq] = m.num_delivered
        self._log((stream, consumer),
                  [DeliveryEvent(now, m.seq, "delivered", m.num_delivered) for m in msgs])

    def _done(self, m: JsMessage) -> None:
        with self._lock:
            seen = self._seen.get((m.stream, m.consumer))
            if seen is not None:
                seen.pop(m.seq, None)

    async def forget(self, stream: str, consumer: str | None = None) -> None:
        """Drop the record of a deleted consumer (or of every consumer of a deleted stream)."""
        with self._lock:
            keys = [k for k in {*self._seen, *self._fetchers, *self._unsettled, *self._events}
                    if k[0] == stream and (consumer is None or k[1] == consumer)]
            fetchers = []
            for k in keys:
                self._seen.pop(k, None)
                self._unsettled.pop(k, None)
                self._events.pop(k, None)
                f = self._fetchers.pop(k, None)
                if f is not None:
                    fetchers.append(f)
        for f in fetchers:
            await f.close()

    async def settle(self) -> None:
        """Wait until the server has processed every plain ack sent so far.

        The server handles a consumer's acks in order, on its own queue, after they arrive: a
        flush is not enough under load. Acking the last acked message again as a request
        returns once everything before it was processed (a repeated ack changes nothing).
        """
        with self._lock:
            if not self._unsettled:
                return
            pending, self._unsettled = self._unsettled, {}
        nc = self._session.nc

        async def confirm(reply: str) -> None:
            # ack-none or deleted consumers do not answer: nothing to wait for.
            with contextlib.suppress(Exception):
                await nc.request(reply, b"+ACK", timeout=2)

        await asyncio.gather(*(confirm(r) for r in pending.values()))

    # ------------------------------------------------------------------ fetching
    async def fetch(self, stream: str, consumer: str, batch: int, wait: float,
                    max_bytes: int | None, ack: str | None = None) -> list[Any]:
        """Pull up to ``batch`` deliveries (raw nats-py messages); ``ack`` answers them at once."""
        __tracebackhide__ = True  # keep learners' tracebacks short
        from .messages import JsMessage

        s = self._session
        key = (stream, consumer)
        with self._lock:
            fetcher = self._fetchers.get(key)
            if fetcher is None:
                fetcher = self._fetchers[key] = PullFetcher(s.nc, stream, consumer, s.prefix)
        op = f"fetch {stream}/{consumer}"
        ctx = {"stream": stream, "consumer": consumer}
        try:
            raw = await s.guard(fetcher.fetch(batch, wait, max_bytes), op, ctx)
        except JetStreamError as e:
            if e.err_code == 10014:
                # Say precisely whether the stream or the consumer is missing.
                await s.request(f"CONSUMER.INFO.{stream}.{consumer}", operation=op, context=ctx)
            raise
        msgs = [JsMessage(self, m) for m in raw]
        if ack:
            now = _now()
            self._log(key, [e for m in msgs for e in (
                DeliveryEvent(now, m.seq, "delivered", m.num_delivered),
                DeliveryEvent(now, m.seq, ack, m.num_delivered))])
        if ack == "ack":
            # The fast path: plain acks go out with the next write (a snapshot settles them
            # first, so pictures stay true).
            for m in msgs:
                await s.nc.publish(m.reply, b"+ACK")
                m._answered = "ack"
            if raw:
                with self._lock:
                    self._unsettled[key] = raw[-1].reply
        elif ack == "ack_sync":
            await asyncio.gather(*(self._send(m, "ack_sync", timeout=s.timeout, log=False)
                                   for m in msgs))
        else:
            self._record(stream, consumer, msgs)
        return msgs

    # ------------------------------------------------------------------ answering
    def answer(self, m: JsMessage, kind: str, *, delay: float | None = None,
               reason: str | None = None, timeout: float = 2.0) -> None:
        """Send one answer and wait as that answer requires (blocking; any thread)."""
        __tracebackhide__ = True  # keep learners' tracebacks short
        self._session.check_open()
        delay, reason, timeout = _checked(delay, reason, timeout)
        self._check(m, kind)
        self._session.call(self._send(m, kind, delay=delay, reason=reason, timeout=timeout),
                           timeout=timeout + 5)

    def answer_many(self, msgs: list[JsMessage], kind: str, *, delay: float | None = None,
                    reason: str | None = None, timeout: float = 2.0) -> None:
        """The same answer for many deliveries, in one hop; nothing is sent if one is refused."""
        __tracebackhide__ = True  # keep learners' tracebacks short
        self._session.check_open()
        delay, reason, timeout = _checked(delay, reason, timeout)
        done = [m for m in msgs if m._answered in _FINAL]
        if done:
            seqs = ", ".join(str(m.seq) for m in done[:10])
            raise ValidationError(
                f"{len(done)} of {len(msgs)} messages were already answered (seq {seqs}): "
                f"nothing was sent. {kind} is not allowed after ack, nak or term; answer only "
                "the others, e.g. Batch([m for m in batch if not m.acked])."
            )
        s = self._session

        async def go() -> None:
            await asyncio.gather(*(self._send(m, kind, delay=delay, reason=reason,
                                              timeout=timeout) for m in msgs))
            await s.guard(s.nc.flush(s.timeout), f"{kind} {len(msgs)} messages")

        s.call(go(), timeout=timeout + 5)

    def _check(self, m: JsMessage, kind: str) -> None:
        if m._answered in _FINAL:
            raise ValidationError(
                f"message {m.stream}#{m.seq} was already answered with {m._answered} ({kind} "
                "is not allowed after ack, nak or term; in_progress only before them). This is "
                "the client's rule: the server would accept it, and nothing would change."
            )

    async def _send(self, m: JsMessage, kind: str, *, delay: float | None = None,
                    reason: str | None = None, timeout: float = 2.0, log: bool = True) -> None:
        __tracebackhide__ = True  # keep learners' tracebacks short
        s = self._session
        key = (m.stream, m.consumer)
        op = f"{kind} {m.stream}#{m.seq}"
        ctx = {"stream": m.stream, "consumer": m.consumer}
        if kind == "ack":
            # Like nats-py: the server does not confirm a plain ack.
            await s.guard(s.nc.publish(m.reply, b"+ACK"), op, ctx)
            with self._lock:
                self._unsettled[key] = m.reply
        else:
            # ack_sync, nak, term and in_progress wait for the server's confirmation, so the
            # next cell (a fetch, a snapshot) sees their effect: no race in lessons.
            payload = ANSWERS[kind]
            if kind == "nak" and delay:
                payload += b" " + json.dumps({"delay": int(delay * 1e9)}).encode()
            if kind == "term" and reason:
                payload += b" " + reason.encode()
            await s.request_msg(m.reply, payload, timeout=timeout, operation=op, context=ctx,
                                no_responders=lambda: _consumer_gone(m, kind))
        if log:
            self._log(key, [DeliveryEvent(_now(), m.seq, kind, m.num_delivered,
                                          delay if kind == "nak" else None)])
        if kind != "in_progress":
            m._answered = kind
        if kind in ("ack", "ack_sync", "term"):
            self._done(m)

    async def close(self) -> None:
        with self._lock:
            fetchers, self._fetchers = list(self._fetchers.values()), {}
        for f in fetchers:
            await f.close()


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _checked(delay: Any, reason: Any, timeout: Any) -> tuple[float | None, str | None, float]:
    """An answer's arguments, checked before anything is sent."""
    delay = arguments.seconds("delay", delay, allow_none=True, maximum=365 * 86400)
    if reason is not None and (not isinstance(reason, str) or "\r" in reason
                               or "\n" in reason):
        raise ValidationError(f"reason is one line of text, not {reason!r}.")
    return delay, reason, arguments.seconds("timeout", timeout, minimum=0.001, maximum=3600)


def _consumer_gone(m: JsMessage, kind: str) -> JslabError:
    return ConsumerNotFoundError(
        f"nobody answered the {kind} for {m.stream}#{m.seq}", err_code=10014, status=503,
        operation=f"{kind} {m.stream}#{m.seq}",
        context={"stream": m.stream, "consumer": m.consumer},
        hint=f"Consumer {m.consumer!r} on stream {m.stream!r} no longer exists (deleted, or an "
        "ephemeral that expired after its inactive_threshold), so its deliveries can not be "
        "acknowledged. Create it again (lab.add_consumer) and fetch anew.",
    )
