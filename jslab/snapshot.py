"""Immutable pictures of a stream and its consumers at one moment.

Plain data built from JetStream API answers and from what the kit itself saw; knows nothing
of connections. Every view (text, HTML, tape, diff, recorder, dashboard) draws from these
objects and never from the server. Each consumer's state on each sequence of the loaded window
(``snap.states``, ``snap.consumer_states(name)``, ``snap.states_frame()``) is derived here,
once, so every view shows the same states (see `jslab.states`).

    >>> snap = lab.snapshot("ORDERS")
    >>> snap.consumers[0].ack_floor_stream_seq
    >>> snap.state_at("shipping", 3)
    'acked'
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from .replicas import Replicas
from .states import STATES, StateRun, consumer_states

__all__ = ["STATES", "ConsumerSnapshot", "StateRun", "StreamSnapshot"]

#: Removed sequences shown left of the first stored one (so removals show as gaps).
_LEFT_PAD_MIN = 4


def _frozen_map(d: Mapping | None) -> Mapping:
    return MappingProxyType(dict(d or {}))


def _runs(runs) -> tuple[tuple[int, int], ...]:
    return tuple((int(a), int(b)) for a, b in runs or ())


@dataclass(frozen=True)
class ConsumerSnapshot:
    """One consumer's position on its stream.

    Sequence numbers named ``*_stream_seq`` are positions on the stream's tape; ``*_consumer_seq``
    count deliveries made by this consumer (redeliveries included).
    """

    name: str
    durable: bool
    push: bool  # has a deliver subject
    ack_policy: str  # "explicit" | "all" | "none"
    deliver_policy: str  # "all" | "last" | "new" | "by_start_sequence" | ...
    replay_policy: str  # "instant" | "original"
    filter_subjects: tuple[str, ...]
    delivered_stream_seq: int
    delivered_consumer_seq: int
    ack_floor_stream_seq: int
    ack_floor_consumer_seq: int
    num_ack_pending: int
    num_redelivered: int
    num_waiting: int
    num_pending: int  # messages matching the filter not yet delivered ("unprocessed")
    ack_wait: float | None = None  # seconds
    max_deliver: int | None = None  # -1 means unlimited
    max_ack_pending: int | None = None
    inactive_threshold: float | None = None  # seconds
    paused: bool = False
    pause_until: datetime | None = None
    # What the kit saw through its own fetches: stream seqs delivered and waiting for an ack
    # (the server counts them pending), and for those delivered more than once, how many times.
    unacked: tuple[int, ...] = ()
    redelivered: Mapping[int, int] = field(default_factory=dict)
    # Where the consumer starts on the stream (None: not known) and how that was found.
    start_seq: int | None = None
    start_note: str = ""
    created: datetime | None = None
    opt_start_seq: int | None = None
    opt_start_time: datetime | None = None
    # What the kit saw happen, as runs of stream seqs (first, last): acks it sent, terms it
    # sent, deliveries it received; seqs the server gave up on after max_deliver deliveries
    # (-> how many); and whether the kit received every delivery this consumer made.
    acked: tuple[tuple[int, int], ...] = ()
    terminated: tuple[tuple[int, int], ...] = ()
    kit_delivered: tuple[tuple[int, int], ...] = ()
    given_up: Mapping[int, int] = field(default_factory=dict)
    kit_saw_all: bool = False
    # Its RAFT group when the consumer is replicated (leader, replicas), from the server.
    cluster: Replicas | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "filter_subjects", tuple(self.filter_subjects))
        object.__setattr__(self, "unacked", tuple(sorted(self.unacked)))
        object.__setattr__(self, "redelivered", _frozen_map(self.redelivered))
        object.__setattr__(self, "given_up", _frozen_map(self.given_up))
        for name in ("acked", "terminated", "kit_delivered"):
            object.__setattr__(self, name, _runs(getattr(self, name)))

    @property
    def delivered_any(self) -> bool:
        """True once the consumer delivered something (its delivered pointer means a seq)."""
        return self.delivered_consumer_seq > 0

    @property
    def pending_known(self) -> bool:
        """True when the kit knows exactly which seqs wait for an ack."""
        return len(self.unacked) == self.num_ack_pending

    def times(self, seq: int) -> int | None:
        """How many times ``seq`` was delivered, when the kit saw it redelivered or given up."""
        return self.redelivered.get(seq) or self.given_up.get(seq)

    @property
    def filter_label(self) -> str:
        """The filter as one short string ("all subjects" when unfiltered)."""
        return ", ".join(self.filter_subjects) if self.filter_subjects else "all subjects"


@dataclass(frozen=True)
class StreamSnapshot:
    """A stream's configuration summary, state and consumers at ``taken_at``."""

    name: str
    subjects: tuple[str, ...]
    retention: str  # "limits" | "workqueue" | "interest"
    storage: str  # "file" | "memory"
    discard: str  # "old" | "new"
    discard_new_per_subject: bool
    max_msgs: int  # -1 = unlimited
    max_bytes: int
    max_age: float  # seconds, 0 = unlimited
    max_msgs_per_subject: int
    max_msg_size: int
    duplicate_window: float  # seconds
    num_replicas: int
    first_seq: int
    last_seq: int
    first_ts: datetime | None
    last_ts: datetime | None
    messages: int
    bytes: int
    num_deleted: int
    deleted: tuple[int, ...]  # interior sequences no longer stored (deleted, expired, acked away)
    subject_counts: Mapping[str, int]
    consumers: tuple[ConsumerSnapshot, ...]
    taken_at: datetime
    # Subject of each stored sequence inside ``window`` (inclusive), when it was loaded.
    # Views fall back to aggregated bands outside it.
    seq_subjects: Mapping[int, str] = field(default_factory=dict)
    window: tuple[int, int] | None = None
    sealed: bool = False
    deny_delete: bool = False
    deny_purge: bool = False
    allow_rollup: bool = False
    compression: str = "none"
    server_version: str = ""
    # Subjects of removed sequences that the kit remembers (its own fetches, publishes seen
    # by a diff, earlier snapshots): removed cells keep their subject's colour.
    removed_subjects: Mapping[int, str] = field(default_factory=dict)
    # The stream's leader and replicas as the server reports them (None outside a cluster
    # answer); on a LocalCluster each running node's own last seq too.
    cluster: Replicas | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "subjects", tuple(self.subjects))
        object.__setattr__(self, "deleted", tuple(sorted(self.deleted)))
        object.__setattr__(self, "consumers", tuple(self.consumers))
        object.__setattr__(self, "subject_counts", _frozen_map(self.subject_counts))
        object.__setattr__(self, "seq_subjects", _frozen_map(self.seq_subjects))
        object.__setattr__(self, "removed_subjects", _frozen_map(self.removed_subjects))
        object.__setattr__(self, "_state_cache", {})

    # ------------------------------------------------------------------ per sequence
    def is_stored(self, seq: int) -> bool:
        """True when ``seq`` is stored (inside first..last and not deleted)."""
        if not self.messages or not self.first_seq <= seq <= self.last_seq:
            return False
        i = bisect.bisect_left(self.deleted, seq)
        return not (i < len(self.deleted) and self.deleted[i] == seq)

    def subject_of(self, seq: int) -> str | None:
        """The subject of ``seq`` when known (loaded window, or remembered once removed)."""
        return self.seq_subjects.get(seq) or self.removed_subjects.get(seq)

    @property
    def state_range(self) -> tuple[int, int] | None:
        """The sequences the per-consumer states cover: the loaded window, widened to the
        left (down to the lowest ack floor, and a few removed seqs) when it starts at the
        stream's first seq. None when no window was loaded."""
        if self.window is None:
            return None
        lo, hi = self.window
        if lo <= self.first_seq:
            lo = min([lo, *(c.ack_floor_stream_seq + 1 for c in self.consumers)])
            lo = max(1, lo - max(_LEFT_PAD_MIN, (hi - lo + 1) // 4))
        return lo, hi

    def consumer_states(self, consumer: str | ConsumerSnapshot, lo: int | None = None,
                        hi: int | None = None) -> tuple[StateRun, ...]:
        """Runs of (first, last, state) for one consumer over ``lo..hi`` (default:
        ``state_range``); state names are the keys of ``jslab.snapshot.STATES``.

            >>> snap.consumer_states("shipping")
            (StateRun(first=1, last=3, state='acked'), StateRun(first=4, last=5, ...))
        """
        c = consumer if isinstance(consumer, ConsumerSnapshot) else self.consumer(consumer)
        if lo is None or hi is None:
            span = self.state_range
            if span is None:
                return ()
            lo, hi = span
        cache: dict = self._state_cache  # type: ignore[attr-defined]
        key = (c.name, lo, hi)
        runs = cache.get(key)
        if runs is None:
            runs = cache[key] = consumer_states(self, c, lo, hi)
        return runs

    @property
    def states(self) -> Mapping[str, tuple[StateRun, ...]]:
        """Each consumer's states over ``state_range`` (empty without a loaded window)."""
        return MappingProxyType({c.name: self.consumer_states(c) for c in self.consumers})

    def state_at(self, consumer: str, seq: int) -> str | None:
        """The state of one consumer on one seq of ``state_range`` (None outside it)."""
        for run in self.consumer_states(consumer):
            if run.first <= seq <= run.last:
                return run.state
        return None

    def states_frame(self) -> Any:
        """One row per sequence of ``state_range``: seq, subject, stored, then one column per
        consumer with its state's name (a pandas DataFrame).

            >>> snap.states_frame().head()
        """
        import pandas as pd

        span = self.state_range
        seqs = list(range(span[0], min(span[1], self.last_seq) + 1)) if span else []
        data: dict[str, list] = {
            "seq": seqs,
            "subject": [self.subject_of(s) for s in seqs],
            "stored": [self.is_stored(s) for s in seqs],
        }
        for c in self.consumers:
            column: list[str] = []
            for run in self.consumer_states(c):
                column += [run.state] * (run.last - run.first + 1)
            data[c.name] = column
        return pd.DataFrame(data)

    def consumer(self, name: str) -> ConsumerSnapshot:
        for c in self.consumers:
            if c.name == name:
                return c
        known = ", ".join(c.name for c in self.consumers) or "none"
        raise KeyError(f"stream {self.name!r} has no consumer {name!r} (consumers: {known})")

    @property
    def span(self) -> int:
        """How many sequence numbers first_seq..last_seq covers (0 when the stream is empty)."""
        return max(0, self.last_seq - self.first_seq + 1) if self.messages else 0

    @property
    def present_seqs(self) -> tuple[int, ...]:
        """Stored sequences inside the loaded ``window`` (empty when no window was loaded)."""
        return tuple(sorted(self.seq_subjects))

    # Displays. The renderers live in the higher jslab.viz layer, imported on use so this
    # module stays plain data: str() and text/plain give the text rendering, text/html the
    # rich one, and .tape() the matplotlib picture.

    def __repr__(self) -> str:
        return (
            f"<StreamSnapshot {self.name!r} seq {self.first_seq}..{self.last_seq}, "
            f"{self.messages} messages, {len(self.consumers)} consumers>"
        )

    def __str__(self) -> str:
        from .viz.text import render_text

        return render_text(self)

    def _repr_pretty_(self, p, cycle: bool) -> None:
        p.text(repr(self) if cycle else str(self))

    def _repr_html_(self) -> str:
        from .viz.html import render_html

        return render_html(self)

    def summary(self) -> Summary:
        """The compact form: the stream in one line, the ASCII tape, one line per consumer.

            >>> snap.summary()
        """
        from .viz.text import render_summary

        return Summary(render_summary(self))

    def tape(self, **kw):
        """The stream as a matplotlib tape (see `jslab.viz.tape.tape`).

            >>> fig = snap.tape(title="ORDERS")
        """
        from .viz.tape import tape

        return tape(self, **kw)


class Summary(str):
    """Text that shows itself as it is (no quotes) in a notebook."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))
