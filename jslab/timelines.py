"""Timelines for a lab: each delivery of each message, and each publish, against time.

``lab.timeline(stream, consumer)`` draws what the kit saw happen to one consumer's deliveries
(every fetch through the kit and every answer is recorded by ``lab.session.deliveries``), read
together with the consumer's ``ack_wait``, ``backoff`` and ``max_deliver``. It shows only what
the kit saw: deliveries to other clients are not in it.

``lab.watch_deliveries(stream, consumer)``, started before the work, also listens to the
server's own advisories for that consumer (``$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES`` and
``...MSG_TERMINATED``), so "given up" is marked when the server said so. Without it, "given up"
is deduced: the last allowed delivery was nak'ed, or its window ran out. (The server itself
acts on that at its next attempt to deliver, e.g. the next fetch: until then its consumer info
still counts the message as ack pending.)

``lab.publish_log(stream)`` records the kit's publishes to a stream (time, message id, PubAck)
while it listens, to draw the duplicate window: which publishes were stored, which were
answered "duplicate", and when the same id is stored again.

    >>> lab.watch_deliveries("ORDERS", "worker")          # optional, before the work
    >>> ...                                                # fetch, ack, nak, wait
    >>> lab.timeline("ORDERS", "worker")                   # figure + text summary
    >>> with lab.publish_log("EVENTS") as log:
    ...     lab.publish("events.login", "alice", msg_id="login-1")
    >>> log                                                # the publish timeline
"""

from __future__ import annotations

import collections
import contextlib
import datetime as _dt
import threading
import weakref
from typing import TYPE_CHECKING, Any, NamedTuple

from . import arguments, names
from .errors import JslabError, JslabTypeError, ValidationError

if TYPE_CHECKING:  # pragma: no cover
    from .lab import Lab
    from .viz.timeline import Timeline

__all__ = ["Advisory", "DeliveryWatch", "PublishLog", "Published", "publish_log", "timeline",
           "watch_deliveries"]

ADVISORY_PREFIX = "$JS.EVENT.ADVISORY.CONSUMER"
_KINDS = {"MAX_DELIVERIES": "max_deliveries", "MSG_TERMINATED": "terminated"}
#: Advisories and publishes kept per watch or log (the oldest go first).
KEEP = 10_000
# How long a timeline waits for an advisory the server is about to send.
ADVISORY_WAIT = 0.5

# session -> {(stream, consumer): DeliveryWatch}
_watches: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], DeliveryWatch]] = \
    weakref.WeakKeyDictionary()
_lock = threading.Lock()


class Advisory(NamedTuple):
    """One server advisory about one message: ``kind`` is "max_deliveries" or "terminated";
    ``time`` is the server's timestamp (UTC)."""

    time: _dt.datetime
    kind: str
    seq: int
    deliveries: int
    reason: str = ""


class DeliveryWatch:
    """Listens to a consumer's MAX_DELIVERIES and MSG_TERMINATED advisories until ``stop()``."""

    def __init__(self, lab: Lab, stream: str, consumer: str) -> None:
        self.stream, self.consumer = stream, consumer
        self._seen: collections.deque[Advisory] = collections.deque(maxlen=KEEP)
        self._lock = threading.Lock()
        self._subs = [lab.subscribe_core(f"{ADVISORY_PREFIX}.{k}.{stream}.{consumer}")
                      for k in _KINDS]
        self._undo = lab.on_close(self.stop)
        self._session = lab.session

    def _drain(self, wait: float = 0.0) -> None:
        for sub in self._subs:
            first = True
            while (m := sub.next(wait if first else 0)) is not None:
                first = False
                a = _advisory(m.subject, m.data)
                if a is not None:
                    with self._lock:
                        self._seen.append(a)
            wait = 0.0

    def advisories(self, wait: float = 0.0) -> list[Advisory]:
        """The advisories received so far, oldest first (``wait``: for the first new one)."""
        self._drain(wait)
        with self._lock:
            return sorted(self._seen, key=lambda a: a.time)

    def stop(self) -> None:
        """Stop listening (what was received stays readable)."""
        for sub in self._subs:
            sub.unsubscribe()
        with _lock:
            mine = _watches.get(self._session, {})
            if mine.get((self.stream, self.consumer)) is self:
                del mine[(self.stream, self.consumer)]
        self._undo()

    def __repr__(self) -> str:
        with self._lock:
            n = len(self._seen)
        return f"<DeliveryWatch {self.stream} › {self.consumer}: {n} advisories>"


def _advisory(subject: str, data: Any) -> Advisory | None:
    kind = _KINDS.get(subject.split(".")[4] if subject.count(".") >= 4 else "")
    if kind is None or not isinstance(data, dict):
        return None
    try:
        when = arguments.timestamp("timestamp", data["timestamp"])
        return Advisory(when, kind, int(data["stream_seq"]), int(data.get("deliveries", 0)),
                        str(data.get("reason") or ""))
    except Exception:  # not an advisory the kit understands: skip it
        return None


def watch_deliveries(self: Lab, stream: str, consumer: str) -> DeliveryWatch:
    """Listen to the server's give-up advisories for one consumer, for ``lab.timeline``.

    Start it before the work: advisories are core NATS messages, kept by nobody. With it the
    timeline marks "given up" where the server's MAX_DELIVERIES advisory says, and a term sent
    by another client from its MSG_TERMINATED advisory. Stopped by ``.stop()`` or on close.

        >>> lab.watch_deliveries("ORDERS", "worker")
    """
    self.session.check_open()
    names.check_stream_name(stream)
    names.check_consumer_name(consumer)
    with _lock:
        old = _watches.get(self.session, {}).get((stream, consumer))
    if old is not None:
        return old
    watch = DeliveryWatch(self, stream, consumer)
    with _lock:
        _watches.setdefault(self.session, {})[(stream, consumer)] = watch
    return watch


def timeline(self: Lab, stream: str, consumer: str, *, seqs: Any = None,
             since: Any = None) -> Timeline:
    """Each delivery of each message of one consumer against time, explained.

    Rows are stream sequences; marks are deliveries (numbered by delivery count), ack /
    ack_sync, nak (its delay drawn as a bar), in_progress (restarts the window), term and
    "given up" after ``max_deliver``. A light bar after each delivery is its ack wait window
    (``ack_wait``, or the ``backoff`` step): with no answer, the redelivery comes at its end.
    ``seqs``: a sequence number or several; ``since``: a datetime (or ISO text), older events
    are left out. Built from what the kit's fetches and answers recorded (plus advisories, see
    ``lab.watch_deliveries``). ``.figure``; ``print()``: the summary (order and counts, no
    measured times; ``.text(times=True)`` adds them); ``.frame``: one row per event with
    ``time``, ``t`` (seconds since the first), ``seq``, ``kind``, ``num_delivered``,
    ``delay`` (nak), ``wait`` (the window after a delivery) and ``source`` ("kit",
    "advisory", or "max_deliver" for a give-up the kit deduced).

        >>> lab.timeline("ORDERS", "worker")
        >>> lab.timeline("ORDERS", "worker", seqs=[2, 3]).frame
    """
    from .viz.timeline import delivery_timeline

    self.session.check_open()
    names.check_stream_name(stream)
    names.check_consumer_name(consumer)
    wanted = _seqs(seqs)
    start = None if since is None else arguments.timestamp("since", since)
    info = self.consumer_info(stream, consumer)  # settles acks first: the counts are true
    cfg = info.config
    policy = str(getattr(cfg.ack_policy, "value", cfg.ack_policy) or "explicit")
    with _lock:
        watch = _watches.get(self.session, {}).get((stream, consumer))

    def build(advisories: list[Advisory]) -> Timeline:
        return delivery_timeline(
            self.session.deliveries.events(stream, consumer), stream=stream, consumer=consumer,
            ack_wait=float(cfg.ack_wait or 30.0), backoff=cfg.backoff,
            max_deliver=cfg.max_deliver, ack_policy=policy, now=_now(), advisories=advisories,
            seqs=wanted, since=start, footer=_server_counts(info))

    tl = build(watch.advisories() if watch else [])
    if watch is not None and any(m.data.get("source") == "max_deliver" for m in tl.marks):
        # The server sends MAX_DELIVERIES when it next tries to deliver: give it a moment.
        tl = build(watch.advisories(wait=ADVISORY_WAIT))
    return tl


def _seqs(seqs: Any) -> set[int] | None:
    if seqs is None:
        return None
    if isinstance(seqs, int) and not isinstance(seqs, bool):
        seqs = [seqs]
    if isinstance(seqs, (str, bytes)) or not hasattr(seqs, "__iter__"):
        raise JslabTypeError(f"seqs is a sequence number or a list of them, not {seqs!r}.")
    return {arguments.count("seqs", s, minimum=1) for s in seqs}


def _server_counts(info: Any) -> list[str]:
    n = info.delivered.consumer_seq
    return [f"  consumer info now: {n} deliver{'y' if n == 1 else 'ies'}, ack floor "
            f"{info.ack_floor.stream_seq}, {info.num_ack_pending} ack pending, "
            f"{info.num_redelivered} redelivered, {info.num_pending} unprocessed"]


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


# ---------------------------------------------------------------------------------------------
# publishes


class Published(NamedTuple):
    """One recorded publish: when its PubAck came back, its id, where it went."""

    time: _dt.datetime
    msg_id: str | None
    seq: int
    duplicate: bool
    subject: str | None = None


#: Row key of publishes whose stored copy is gone, so their id can not be read any more.
UNKNOWN_ID = "(id unknown: message removed)"
# Up to this many sequences, message ids are read with one lab.messages() pass.
_ONE_READ = 20_000


class PublishLog:
    """Every JetStream publish the kit makes to ``stream`` while it listens: for the picture
    of the duplicate window (which publishes were stored, which were answered duplicate).

    It listens from its creation until ``stop()`` (or the end of its ``with`` block, or
    ``lab.close()``) to the kit's own publishes (``lab.publish``, ``lab.publish_many``),
    wrapping nothing: each PubAck is recorded when it comes back. Message ids are read from
    the stored messages' ``Nats-Msg-Id`` headers (a duplicate's PubAck points at the stored
    copy), when the log stops or draws. Refused publishes are not in it (``lab.diff`` lists
    them). ``add(ack)`` records a PubAck from elsewhere (e.g. nats-py directly).

        >>> with lab.publish_log("EVENTS") as log:
        ...     lab.publish("events.login", "alice", msg_id="login-1")
        >>> log            # the publish timeline; log.timeline() returns it
    """

    def __init__(self, lab: Lab, stream: str) -> None:
        names.check_stream_name(stream)
        lab.session.check_open()
        self._lab = lab
        self.stream = stream
        self._records: collections.deque[Published] = collections.deque(maxlen=KEEP)
        self._ids: dict[int, str | None] = {}
        self._lock = threading.Lock()
        self._hooks = lab.session.on_publish
        self._hooks.append(self._heard)
        self._undo = lab.on_close(self.stop)

    def _heard(self, subject: str, outcome: Any) -> None:
        """Called on the loop thread for every JetStream publish of the session."""
        if getattr(outcome, "stream", None) != self.stream or not getattr(outcome, "seq", 0):
            return  # another stream, or refused (an error carries no sequence)
        with self._lock:
            self._records.append(Published(_now(), None, int(outcome.seq),
                                           bool(outcome.duplicate), subject))

    def add(self, ack: Any, *, msg_id: str | None = None, subject: str | None = None,
            time: Any = None) -> Any:
        """Record a PubAck got elsewhere (``time``: when it was published; default now)."""
        if not hasattr(ack, "seq") or not hasattr(ack, "duplicate"):
            raise JslabTypeError(f"add() takes a PubAck (what a publish returns), not {ack!r}.")
        if getattr(ack, "stream", self.stream) != self.stream:
            raise ValidationError(f"that PubAck is from stream {ack.stream!r}, not "
                                  f"{self.stream!r}.")
        when = _now() if time is None else arguments.timestamp("time", time)
        with self._lock:
            self._records.append(Published(when, msg_id, int(ack.seq), bool(ack.duplicate),
                                           subject))
        return ack

    @property
    def listening(self) -> bool:
        return self._heard in self._hooks

    def stop(self) -> None:
        """Stop listening, and read the message ids while the stored copies are there."""
        with contextlib.suppress(ValueError):
            self._hooks.remove(self._heard)
        self._undo()
        if not self._lab.closed:
            with contextlib.suppress(Exception):  # the stream may be gone: ids stay unknown
                self._resolve(self.records)

    def __enter__(self) -> PublishLog:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def records(self) -> list[Published]:
        """What was recorded, oldest first (``msg_id`` None until read from the stream)."""
        with self._lock:
            return list(self._records)

    def _resolve(self, records: list[Published]) -> None:
        """Read the ids of the stored copies the records point at (one pass when it can)."""
        todo = sorted({r.seq for r in records if r.msg_id is None and r.seq not in self._ids})
        if not todo:
            return
        found: dict[int, str | None] = {}
        if todo[-1] - todo[0] < _ONE_READ:
            df = self._lab.messages(self.stream, start=todo[0], limit=todo[-1] - todo[0] + 1)
            for seq, headers in zip(df["seq"], df["headers"], strict=True):
                found[int(seq)] = (headers or {}).get("Nats-Msg-Id")
        else:
            for seq in todo:
                with contextlib.suppress(JslabError):
                    found[seq] = (self._lab.get_msg(self.stream, seq).headers or {}).get(
                        "Nats-Msg-Id")
        self._ids.update({seq: found.get(seq, UNKNOWN_ID) for seq in todo})

    def timeline(self) -> Timeline:
        """The publishes against time, with the duplicate window after each stored copy."""
        from .viz.timeline import publish_timeline

        records = self.records
        if not self._lab.closed:
            self._resolve(records)
        ids = {r.seq: r.msg_id for r in records if r.msg_id and not r.duplicate}
        resolved = [r if r.msg_id is not None else
                    r._replace(msg_id=ids.get(r.seq, self._ids.get(r.seq, UNKNOWN_ID)))
                    for r in records]
        window = self._lab.stream_info(self.stream).config.duplicate_window
        return publish_timeline(resolved, stream=self.stream,
                                duplicate_window=float(window or 0.0))

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def __repr__(self) -> str:
        state = "listening" if self.listening else "stopped"
        return f"<PublishLog {self.stream}: {len(self)} publishes, {state}>"

    def _repr_pretty_(self, p, cycle: bool) -> None:
        p.text(repr(self) if cycle else self.timeline().text())

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return self.timeline()._repr_mimebundle_(include, exclude)


def publish_log(self: Lab, stream: str) -> PublishLog:
    """Record the kit's publishes to ``stream`` to draw the duplicate window: which were
    stored, which were answered duplicate, and when the same id was stored again.

        >>> with lab.publish_log("EVENTS") as log:
        ...     lab.publish("events.login", "alice", msg_id="login-1")
        ...     lab.publish("events.login", "alice", msg_id="login-1")   # duplicate
        >>> log                                   # the publish timeline (log.timeline())
    """
    return PublishLog(self, stream)
