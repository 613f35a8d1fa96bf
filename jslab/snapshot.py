"""Immutable pictures of a stream and its consumers at one moment.

Plain data built from JetStream API answers; knows nothing of connections. Every view (text,
HTML, tape, diff, recorder, dashboard) draws from these objects and never from the server.

    >>> snap = lab.snapshot("ORDERS")
    >>> snap.consumers[0].ack_floor_stream_seq
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

__all__ = ["ConsumerSnapshot", "StreamSnapshot"]


def _frozen_map(d: Mapping | None) -> Mapping:
    return MappingProxyType(dict(d or {}))


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
    # What the kit saw through its own fetches: stream seqs delivered but not yet acked,
    # and for those delivered more than once, how many times.
    unacked: tuple[int, ...] = ()
    redelivered: Mapping[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "filter_subjects", tuple(self.filter_subjects))
        object.__setattr__(self, "unacked", tuple(sorted(self.unacked)))
        object.__setattr__(self, "redelivered", _frozen_map(self.redelivered))

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

    def __post_init__(self) -> None:
        object.__setattr__(self, "subjects", tuple(self.subjects))
        object.__setattr__(self, "deleted", tuple(sorted(self.deleted)))
        object.__setattr__(self, "consumers", tuple(self.consumers))
        object.__setattr__(self, "subject_counts", _frozen_map(self.subject_counts))
        object.__setattr__(self, "seq_subjects", _frozen_map(self.seq_subjects))

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

    def tape(self, **kw):
        """The stream as a matplotlib tape (see `jslab.viz.tape.tape`).

            >>> fig = snap.tape(title="ORDERS")
        """
        from .viz.tape import tape

        return tape(self, **kw)
