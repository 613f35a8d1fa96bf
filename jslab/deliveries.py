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
import bisect
import collections
import contextlib
import datetime as _dt
import json
import threading
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from . import arguments
from .errors import ConsumerNotFoundError, JetStreamError, JslabError, ValidationError
from .pull import Pulled, PullFetcher

if TYPE_CHECKING:
    from .messages import JsMessage
    from .session import Session

__all__ = ["ANSWERS", "ConsumerRecord", "Deliveries", "DeliveryEvent", "SeqRanges"]

#: Events kept per consumer (the oldest go first): enough for any lesson, bounded for soak runs.
EVENTS_PER_CONSUMER = 100_000
#: Runs of sequence numbers kept per record (acked, terminated, delivered): the lowest go first.
RANGES_KEPT = 10_000
#: Fast-path deliveries kept unrecorded at most (then recorded at once): bounds the memory.
LATER_KEPT = 50_000
#: How long after an acknowledged publish a picture waits before reading consumers' counts.
PUBLISH_SETTLE_S = 0.01
#: Subjects of recent sequences remembered per stream (removed cells keep their colour).
SUBJECTS_KEPT = 20_000


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


class SeqRanges:
    """A set of sequence numbers kept as sorted runs ``[(first, last), ...]``: bounded memory.

    Acking a million messages in order is one run. Past ``limit`` runs the lowest are dropped
    and ``complete_from`` says from which sequence on the set is still complete.

        >>> r = SeqRanges(); r.add_many([1, 2, 3, 7]); r.runs(), 2 in r, 5 in r
        ([(1, 3), (7, 7)], True, False)
    """

    __slots__ = ("_firsts", "_lasts", "complete_from", "limit")

    def __init__(self, limit: int = RANGES_KEPT) -> None:
        self._firsts: list[int] = []
        self._lasts: list[int] = []
        self.limit = limit
        self.complete_from = 0  # seqs below this may have been forgotten

    def __contains__(self, seq: int) -> bool:
        i = bisect.bisect_right(self._firsts, seq) - 1
        return i >= 0 and seq <= self._lasts[i]

    def __len__(self) -> int:
        """How many sequence numbers the set holds."""
        return sum(b - a + 1 for a, b in zip(self._firsts, self._lasts, strict=True))

    def runs(self) -> list[tuple[int, int]]:
        return list(zip(self._firsts, self._lasts, strict=True))

    def add(self, first: int, last: int | None = None) -> None:
        """Add the run ``first..last`` (one seq when ``last`` is None), merging neighbours."""
        last = first if last is None else last
        if last < first or last < self.complete_from:
            return
        first = max(first, self.complete_from)
        f, ls = self._firsts, self._lasts
        if not f or first > ls[-1] + 1:  # the common case: appending in order
            f.append(first)
            ls.append(last)
        else:
            i = bisect.bisect_left(ls, first - 1)  # first run that ends at or after first - 1
            j = bisect.bisect_right(f, last + 1)  # runs before j start at or before last + 1
            if i >= j:
                f.insert(i, first)
                ls.insert(i, last)
            else:
                f[i:j] = [min(first, f[i])]
                ls[i:j] = [max(last, ls[j - 1])]
        if len(f) > self.limit:
            drop = len(f) - self.limit
            self.complete_from = ls[drop - 1] + 1
            del f[:drop], ls[:drop]

    def add_many(self, seqs: Iterable[int]) -> None:
        run: list[int] = []
        for s in sorted(seqs):
            if run and s <= run[1] + 1:
                run[1] = max(run[1], s)
                continue
            if run:
                self.add(run[0], run[1])
            run = [s, s]
        if run:
            self.add(run[0], run[1])

    def copy(self) -> SeqRanges:
        other = SeqRanges(self.limit)
        other._firsts, other._lasts = list(self._firsts), list(self._lasts)
        other.complete_from = self.complete_from
        return other


class ConsumerRecord:
    """What the kit itself saw of one consumer, for pictures that show only what is proven.

    ``created`` is the consumer's creation time from the server (a consumer deleted and made
    again under the same name is another consumer); ``start`` the stream sequence it starts at
    (None: not known) and ``start_note`` how that was found. ``acked``, ``terminated`` and
    ``delivered`` hold stream sequences; ``consumer_seqs`` the consumer sequences of every
    delivery the kit received (all of them: the kit saw every delivery).
    """

    __slots__ = ("acked", "answered_elsewhere", "consumer_seqs", "created", "delivered",
                 "start", "start_note", "terminated")

    def __init__(self) -> None:
        self.created: str | None = None
        self.start: int | None = None
        self.start_note = ""
        self.acked = SeqRanges()
        self.terminated = SeqRanges()
        self.delivered = SeqRanges()
        self.consumer_seqs = SeqRanges()
        self.answered_elsewhere = False

    def copy(self) -> ConsumerRecord:
        other = ConsumerRecord()
        other.created, other.start, other.start_note = self.created, self.start, self.start_note
        other.acked, other.terminated = self.acked.copy(), self.terminated.copy()
        other.delivered, other.consumer_seqs = self.delivered.copy(), self.consumer_seqs.copy()
        other.answered_elsewhere = self.answered_elsewhere
        return other

    def saw_every_delivery(self, delivered_consumer_seq: int) -> bool:
        """True when the kit received deliveries 1..``delivered_consumer_seq``, all of them."""
        if delivered_consumer_seq <= 0:
            return True
        return self.consumer_seqs.runs() == [(1, delivered_consumer_seq)]


class Deliveries:
    """Delivery and ack bookkeeping for one session; safe to use from any thread."""

    def __init__(self, session: Session) -> None:
        self._session = session
        # Re-entrant: recording the deferred fast-path batches reuses the recording methods.
        self._lock = threading.RLock()
        # (stream, consumer) -> {stream seq: times delivered} fetched and not acked yet.
        self._seen: dict[tuple[str, str], dict[int, int]] = {}
        # (stream, consumer) -> reply subject of the last plain (unconfirmed) ack.
        self._unsettled: dict[tuple[str, str], str] = {}
        self._fetchers: dict[tuple[str, str], PullFetcher] = {}
        self._events: dict[tuple[str, str], collections.deque[DeliveryEvent]] = {}
        # (stream, consumer) -> what the kit saw of that consumer (see ConsumerRecord).
        self._records: dict[tuple[str, str], ConsumerRecord] = {}
        # stream -> {seq: subject} of recent sequences the kit saw (bounded, oldest first).
        self._subjects: dict[str, dict[int, str]] = {}
        # fetch_and_ack batches not recorded yet: (time, answer, [(reply, subject), ...]) per
        # consumer. Recording costs a few µs a message, so the fast path only keeps the reply
        # subjects and whoever reads the record (a picture, a timeline) records them first.
        self._later: dict[tuple[str, str], list[tuple[_dt.datetime, str, list]]] = {}
        self._later_count = 0

    # ------------------------------------------------------------------ the record
    def seen(self, stream: str) -> dict[str, dict[int, int]]:
        """A copy of what each consumer of ``stream`` delivered to the kit, not yet acked."""
        with self._lock:
            return {c: dict(s) for (st, c), s in self._seen.items() if st == stream}

    def events(self, stream: str, consumer: str) -> list[DeliveryEvent]:
        """What the kit saw happen to the deliveries of one consumer, oldest first."""
        with self._lock:
            self._record_later()
            return list(self._events.get((stream, consumer), ()))

    def _record_later(self) -> None:
        """Record the fast path's deferred batches (called with the lock held)."""
        if not self._later:
            return
        later, self._later, self._later_count = self._later, {}, 0
        for key, batches in later.items():
            for when, ack, pairs in batches:
                ids = [_ids_of(reply) for reply, _subject in pairs]
                self._log(key, [e for n, seq, _c in ids for e in (
                    DeliveryEvent(when, seq, "delivered", n), DeliveryEvent(when, seq, ack, n))])
                self._note_ids(key, ids, [subject for _reply, subject in pairs])
                self._rec(key).acked.add_many(seq for _n, seq, _c in ids)

    def record(self, stream: str, consumer: str, created: str | None = None
               ) -> ConsumerRecord | None:
        """A copy of what the kit saw of one consumer, or None when it saw nothing of it.

        With ``created`` (the consumer's creation time, from its info): a record of an older
        consumer of the same name is dropped, and a record not yet dated gets that date.
        """
        with self._lock:
            self._record_later()
            rec = self._records.get((stream, consumer))
            if rec is None:
                return None
            if created is not None:
                if rec.created is None:
                    rec.created = created
                elif rec.created != created:
                    del self._records[(stream, consumer)]
                    self._seen.pop((stream, consumer), None)
                    return None
            return rec.copy()

    def note_start(self, stream: str, consumer: str, created: str | None, start: int | None,
                   note: str) -> None:
        """Remember where a consumer starts (found once, e.g. while it had delivered nothing)."""
        with self._lock:
            self._record_later()
            rec = self._records.get((stream, consumer))
            if rec is not None and created is not None and rec.created not in (None, created):
                rec = None
            if rec is None:
                rec = self._records[(stream, consumer)] = ConsumerRecord()
            rec.created = created if created is not None else rec.created
            if rec.start is None:
                rec.start, rec.start_note = start, note

    def _rec(self, key: tuple[str, str]) -> ConsumerRecord:
        rec = self._records.get(key)
        if rec is None:
            rec = self._records[key] = ConsumerRecord()
        return rec

    def _note_delivered(self, key: tuple[str, str], msgs: list[JsMessage]) -> None:
        """Record deliveries as runs of stream and consumer sequences; their subjects too."""
        self._note_ids(key, [m._reply_ids() for m in msgs], [m._msg.subject for m in msgs])

    def _note_ids(self, key: tuple[str, str], ids: list[tuple[int, int, int]],
                  subject_list: list[str]) -> None:
        seqs = [seq for _n, seq, _c in ids]
        cseqs = [c for _n, _s, c in ids]
        subjects = dict(zip(seqs, subject_list, strict=True))
        if not seqs:
            return
        with self._lock:
            rec = self._rec(key)
            rec.delivered.add_many(seqs)
            rec.consumer_seqs.add_many(cseqs)
            self._remember(key[0], subjects)

    def _note_answer(self, key: tuple[str, str], seq: int, kind: str) -> None:
        if kind not in ("ack", "ack_sync", "term"):
            return
        with self._lock:
            rec = self._rec(key)
            (rec.terminated if kind == "term" else rec.acked).add(seq)

    # ------------------------------------------------------------------ subjects
    def remember_subjects(self, stream: str, subjects: Mapping[int, str]) -> None:
        """Remember the subjects of some sequences of ``stream`` (bounded: the oldest go)."""
        if subjects:
            with self._lock:
                self._remember(stream, subjects)

    def _remember(self, stream: str, subjects: Mapping[int, str]) -> None:
        known = self._subjects.get(stream)
        if known is None:
            known = self._subjects[stream] = {}
        known.update(subjects)
        if len(known) > 2 * SUBJECTS_KEPT:
            keep = sorted(known)[-SUBJECTS_KEPT:]
            self._subjects[stream] = {s: known[s] for s in keep}

    def known_subjects(self, stream: str, seqs: Iterable[int]) -> dict[int, str]:
        """The subjects the kit remembers for these sequences of ``stream`` (some or none)."""
        with self._lock:
            self._record_later()
            known = self._subjects.get(stream) or {}
            return {s: known[s] for s in seqs if s in known}

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
        self._note_delivered((stream, consumer), msgs)

    def _done(self, m: JsMessage) -> None:
        with self._lock:
            seen = self._seen.get((m.stream, m.consumer))
            if seen is not None:
                seen.pop(m.seq, None)

    async def forget(self, stream: str, consumer: str | None = None) -> None:
        """Drop the record of a deleted consumer (or of every consumer of a deleted stream)."""
        with self._lock:
            self._record_later()
            keys = [k for k in {*self._seen, *self._fetchers, *self._unsettled, *self._events,
                                *self._records}
                    if k[0] == stream and (consumer is None or k[1] == consumer)]
            fetchers = []
            if consumer is None:
                self._subjects.pop(stream, None)
            for k in keys:
                self._records.pop(k, None)
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

        Also waits until ``PUBLISH_SETTLE_S`` has passed since the last acknowledged publish.
        The server handles a consumer's acks in order, on its own queue, after they arrive: a
        flush is not enough under load. Acking the last acked message again as a request
        returns once everything before it was processed (a repeated ack changes nothing).
        """
        # A stream tells its consumers of a new message on their own goroutines, just after
        # acknowledging it: read a moment later, every consumer's count includes it.
        since = time.monotonic() - self._session.last_stored
        if since < PUBLISH_SETTLE_S:
            await asyncio.sleep(PUBLISH_SETTLE_S - since)
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
                    max_bytes: int | None, ack: str | None = None,
                    priority: dict[str, Any] | None = None) -> list[Any]:
        """Pull up to ``batch`` deliveries (raw nats-py messages); ``ack`` answers them at once."""
        __tracebackhide__ = True  # keep learners' tracebacks short
        from .messages import JsMessage

        s = self._session
        key = (stream, consumer)
        with self._lock:
            fetcher = self._fetchers.get(key)
            first = fetcher is None
            if fetcher is None:
                fetcher = self._fetchers[key] = PullFetcher(s.nc, stream, consumer, s.prefix)
        op = f"fetch {stream}/{consumer}"
        ctx = {"stream": stream, "consumer": consumer}
        if first:
            await self._learn_start(stream, consumer)
        try:
            raw = await s.guard(fetcher.fetch(batch, wait, max_bytes, priority), op, ctx)
        except JetStreamError as e:
            if e.err_code == 10014:
                # Say precisely whether the stream or the consumer is missing.
                await s.request(f"CONSUMER.INFO.{stream}.{consumer}", operation=op, context=ctx)
            raise
        msgs = [JsMessage(self, m) for m in raw]
        if ack and msgs:
            # The fast path (fetch_and_ack): recorded later, when someone reads the record.
            pairs = [(m._msg.reply, m._msg.subject) for m in msgs]
            with self._lock:
                self._later.setdefault(key, []).append((_now(), ack, pairs))
                self._later_count += len(pairs)
                if self._later_count > LATER_KEPT:
                    self._record_later()
        if ack == "ack":
            # Plain acks go out with the next write (a snapshot settles them first, so
            # pictures stay true).
            publish = s.nc.publish
            for m in msgs:
                await publish(m._msg.reply, b"+ACK")
                m._answered = "ack"
            if raw:
                with self._lock:
                    self._unsettled[key] = raw[-1].reply
        elif ack == "ack_sync":
            await asyncio.gather(*(self._send(m, "ack_sync", timeout=s.timeout, log=False)
                                   for m in msgs))
        if not ack:
            self._record(stream, consumer, msgs)
        pulled = Pulled(msgs)
        pulled.status = raw.status
        return pulled

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
                "the client's rule (nats-py's too): the server itself takes a later answer on the "
                "same reply subject (after a nak an ack still counts; a repeated ack changes "
                "nothing)."
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
            self._note_answer(key, m.seq, kind)
        if kind != "in_progress":
            m._answered = kind
        if kind in ("ack", "ack_sync", "term"):
            self._done(m)

    async def _learn_start(self, stream: str, consumer: str) -> None:
        """Before the kit's first fetch from a consumer: its creation time, and its start.

        A consumer that has delivered nothing yet says where it starts: its delivered stream
        sequence is the one before its start point (deliver new, last, by start sequence or
        time are all resolved by the server this way). Errors are left to the fetch itself.
        """
        with contextlib.suppress(JslabError):
            info = await self._session.request(f"CONSUMER.INFO.{stream}.{consumer}",
                                               operation=f"consumer info {stream}/{consumer}")
            delivered = info.get("delivered") or {}
            start, note = None, ""
            if not delivered.get("consumer_seq"):
                start = int(delivered.get("stream_seq", 0)) + 1
                note = "seen before its first delivery"
            self.note_start(stream, consumer, info.get("created"), start, note)

    async def close(self) -> None:
        with self._lock:
            fetchers, self._fetchers = list(self._fetchers.values()), {}
        for f in fetchers:
            await f.close()


def _ids_of(reply: str) -> tuple[int, int, int]:
    """(times delivered, stream seq, consumer seq) from a delivery's reply subject."""
    t = reply.split(".")
    i = 4 if len(t) == 9 else 6
    return int(t[i]), int(t[i + 1]), int(t[i + 2])


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
