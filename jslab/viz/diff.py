"""What changed between two snapshots of one stream, in words (and as two stacked tapes).

`diff_snapshots` is pure: it compares two `StreamSnapshot` objects and, where the snapshots
allow it, says why sequences left the stream (limits, purge, work-queue or interest removal).

    >>> for change in diff_snapshots(before, after):
    ...     print(change)
    stream: messages 3 -> 5
    shipping: ack floor 3 -> 5
"""

from __future__ import annotations

import bisect
import contextlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from .. import formatting
from ..errors import JetStreamError, JslabError
from ..names import subject_matches
from ..snapshot import ConsumerSnapshot, StreamSnapshot
from ..states import STATES

__all__ = ["Change", "PublishWatch", "SnapshotDiff", "diff_snapshots", "watch_publishes"]


@dataclass(frozen=True)
class Change:
    """One difference: ``kind`` (e.g. "ack_floor"), ``subject`` ("stream" or a consumer name),
    ``line`` (what a person reads), and the two values compared."""

    kind: str
    subject: str
    line: str
    before: object = None
    after: object = None

    def __str__(self) -> str:
        return self.line


def _set(seqs: Iterable[int]) -> str:
    return "{" + formatting.seq_ranges(seqs) + "}"


def _removal_reason(before: StreamSnapshot, after: StreamSnapshot, removed: set[int]) -> str:
    """Why stored sequences left the stream, as far as two snapshots can tell."""
    if not removed:
        return ""
    if before.retention == "workqueue":
        return "work-queue: acked messages are removed"
    if before.retention == "interest":
        if not before.consumers and not after.consumers:
            return "interest: no consumer was interested, so nothing is kept"
        return "interest: gone once every matching consumer acked (or none matched)"
    published = after.last_seq - before.last_seq
    reasons = []
    if published > 0:
        if after.max_msgs > 0 and after.messages >= after.max_msgs:
            reasons.append("max_msgs")
        if after.max_bytes > 0 and after.bytes + (after.bytes // max(after.messages, 1)) \
                > after.max_bytes:
            reasons.append("max_bytes")
        if after.max_msgs_per_subject > 0:
            full = [s for s, n in after.subject_counts.items() if n >= after.max_msgs_per_subject]
            if full:
                reasons.append("max_msgs_per_subject")
    if not reasons and after.max_age:
        reasons.append("max_age")
    if reasons:
        return ", ".join(reasons)
    if after.messages == 0 and removed:
        return "purge"
    head = after.first_seq > before.first_seq and all(s < after.first_seq for s in removed)
    if head and len(removed) > 1:
        return "purge"
    return "delete" if len(removed) == 1 else "purge or delete"


def _stream_changes(b: StreamSnapshot, a: StreamSnapshot) -> list[Change]:
    out: list[Change] = []

    def add(kind: str, line: str, before=None, after=None) -> None:
        out.append(Change(kind, "stream", f"stream: {line}", before, after))

    for key in ("retention", "storage", "discard", "max_msgs", "max_bytes", "max_age",
                "max_msgs_per_subject", "max_msg_size", "num_replicas", "sealed",
                "deny_delete", "deny_purge", "allow_rollup", "discard_new_per_subject"):
        vb, va = getattr(b, key), getattr(a, key)
        if vb != va:
            add("config", f"{key} {formatting.setting(key, vb)} -> {formatting.setting(key, va)}",
                vb, va)
    if b.subjects != a.subjects:
        add("config", f"subjects {', '.join(b.subjects)} -> {', '.join(a.subjects)}",
            b.subjects, a.subjects)

    if a.last_seq != b.last_seq:
        grown = a.last_seq - b.last_seq
        note = f" (+{grown} published)" if grown > 0 else ""
        add("last_seq", f"last seq {b.last_seq} -> {a.last_seq}{note}", b.last_seq, a.last_seq)

    # Sequences stored before and gone after: moved off the head, or new interior gaps.
    gone_before = set(b.deleted)
    gone_after = set(a.deleted)
    removed = set()
    if b.messages:
        head_cut = range(b.first_seq, min(a.first_seq, b.last_seq + 1))
        removed |= {s for s in head_cut if s not in gone_before}
    new_gaps = {s for s in gone_after - gone_before if s <= b.last_seq}
    removed |= new_gaps
    # Published in between and already gone again (limits, work queue, interest).
    fresh_runs = []
    if a.last_seq > b.last_seq:
        top = min(a.first_seq - 1, a.last_seq)
        if top > b.last_seq:
            fresh_runs.append((b.last_seq + 1, top))
        lo = max(b.last_seq + 1, a.first_seq)
        inner = a.deleted[bisect.bisect_left(a.deleted, lo):
                          bisect.bisect_right(a.deleted, a.last_seq)]
        fresh_runs += [(x, x) for x in inner]
    fresh = sum(y - x + 1 for x, y in fresh_runs)
    sample = {x for x, _ in fresh_runs[:50]}
    reason = _removal_reason(b, a, removed | sample)
    why = f" ({reason})" if reason else ""

    if a.first_seq != b.first_seq:
        add("first_seq", f"first seq {b.first_seq} -> {a.first_seq}{why}", b.first_seq,
            a.first_seq)
    if new_gaps:
        add("deleted", f"deleted +{_set(new_gaps)}{why}", sorted(b.deleted), sorted(a.deleted))
    if fresh:
        runs = sorted(fresh_runs)
        merged: list[tuple[int, int]] = []
        for x, y in runs:
            if merged and x <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], y))
            else:
                merged.append((x, y))
        add("removed_new", f"published and removed again {{{formatting.runs_text(merged)}}}"
                           f"{why}", None, fresh)
    if a.messages != b.messages:
        add("messages", f"messages {formatting.count(b.messages)} -> "
                        f"{formatting.count(a.messages)}", b.messages, a.messages)
    if a.bytes != b.bytes:
        add("bytes", f"bytes {formatting.size(b.bytes)} -> {formatting.size(a.bytes)}", b.bytes,
            a.bytes)
    for subject in sorted(set(b.subject_counts) | set(a.subject_counts)):
        nb, na = b.subject_counts.get(subject, 0), a.subject_counts.get(subject, 0)
        if nb != na:
            add("subject_count", f"subject {subject} {formatting.count(nb)} -> "
                                 f"{formatting.count(na)}", nb, na)
    return out


def _pending_text(c: ConsumerSnapshot) -> str:
    # The seqs themselves only when the kit knows all of them.
    if len(c.unacked) == c.num_ack_pending:
        return _set(c.unacked)
    return str(c.num_ack_pending)


def _consumer_changes(b: ConsumerSnapshot, a: ConsumerSnapshot) -> list[Change]:
    out: list[Change] = []
    name = a.name

    def add(kind: str, line: str, before=None, after=None) -> None:
        out.append(Change(kind, name, f"{name}: {line}", before, after))

    if b.ack_floor_stream_seq != a.ack_floor_stream_seq:
        add("ack_floor", f"ack floor {b.ack_floor_stream_seq} -> {a.ack_floor_stream_seq}",
            b.ack_floor_stream_seq, a.ack_floor_stream_seq)
    if (b.delivered_stream_seq, b.delivered_consumer_seq) != (
            a.delivered_stream_seq, a.delivered_consumer_seq):
        add("delivered", f"delivered {b.delivered_stream_seq} -> {a.delivered_stream_seq} "
                         f"(consumer seq {b.delivered_consumer_seq} -> "
                         f"{a.delivered_consumer_seq})",
            b.delivered_stream_seq, a.delivered_stream_seq)
    if b.num_ack_pending != a.num_ack_pending or set(b.unacked) != set(a.unacked):
        pb, pa = _pending_text(b), _pending_text(a)
        if pb == pa:  # same seqs known, counts differ (or the reverse): say both
            pb, pa = f"{b.num_ack_pending} {pb}", f"{a.num_ack_pending} {pa}"
        add("ack_pending", f"ack pending {pb} -> {pa}", b.num_ack_pending, a.num_ack_pending)
    if b.num_redelivered != a.num_redelivered or dict(b.redelivered) != dict(a.redelivered):
        line = f"redelivered {b.num_redelivered} -> {a.num_redelivered}"
        again = {s: n for s, n in a.redelivered.items() if b.redelivered.get(s) != n}
        if again:
            line += " (" + ", ".join(f"{s} x{n}" for s, n in sorted(again.items())) + ")"
        add("redelivered", line, b.num_redelivered, a.num_redelivered)
    if b.num_pending != a.num_pending:
        add("unprocessed", f"unprocessed {formatting.count(b.num_pending)} -> "
                           f"{formatting.count(a.num_pending)}", b.num_pending, a.num_pending)
    if b.num_waiting != a.num_waiting:
        add("waiting", f"waiting pulls {b.num_waiting} -> {a.num_waiting}", b.num_waiting,
            a.num_waiting)
    if b.paused != a.paused:
        add("paused", "paused" if a.paused else "resumed", b.paused, a.paused)
    if b.filter_subjects != a.filter_subjects:
        add("config", f"filter {b.filter_label} -> {a.filter_label}", b.filter_subjects,
            a.filter_subjects)
    return out


# Transitions worth a line: what a consumer newly did to a seq it had before.
_REPORTED = ("acked", "acked_above_floor", "terminated", "given_up", "redelivered", "pending")


def _state_changes(before: StreamSnapshot, after: StreamSnapshot, b: ConsumerSnapshot,
                   a: ConsumerSnapshot) -> list[Change]:
    """Seqs whose state the consumer changed, grouped by the new state (same picture as the
    tapes: the states come from the snapshots)."""
    sb, sa = before.state_range, after.state_range
    if sb is None or sa is None:
        return []
    lo, hi = max(sb[0], sa[0]), min(sb[1], sa[1])
    if lo > hi:
        return []

    def per_seq(snap: StreamSnapshot, c: ConsumerSnapshot) -> dict[int, str]:
        out = {}
        for run in snap.consumer_states(c, lo, hi):
            for seq in range(run.first, run.last + 1):
                out[seq] = run.state
        return out

    old, new = per_seq(before, b), per_seq(after, a)
    moved: dict[str, list[int]] = {}
    for seq, state in new.items():
        if state != old.get(seq) and state in _REPORTED:
            moved.setdefault(state, []).append(seq)
    out = []
    for state in _REPORTED:
        seqs = moved.get(state)
        if not seqs:
            continue
        label = STATES[state].label
        if state in ("redelivered", "given_up"):
            label = label.replace(" ×N", "")
            what = ", ".join(f"{s} (x{a.times(s)})" for s in seqs[:12])
        else:
            what = formatting.seq_ranges(seqs)
        out.append(Change("state", a.name, f"{a.name}: now {label}: {what}", None,
                          tuple(seqs)))
    return out


def _publish_changes(stream: StreamSnapshot, published: Sequence[tuple[str, Any]]
                     ) -> list[Change]:
    """Publishes inside the block that the stream did not store: duplicates and refusals."""
    mine = [(s, o) for s, o in published if _belongs(stream, s, o)]
    out: list[Change] = []
    dups = [(s, o) for s, o in mine if not isinstance(o, BaseException)
            and getattr(o, "duplicate", False)]
    if dups:
        where = ", ".join(f"{s} (a copy of seq {o.seq})" for s, o in dups[:6])
        more = f", … (+{len(dups) - 6} more)" if len(dups) > 6 else ""
        window = formatting.duration(stream.duplicate_window)
        out.append(Change("not_stored", "stream",
                          f"stream: not stored, answered duplicate (same msg id within the "
                          f"{window} duplicate_window): {len(dups)} publish"
                          f"{'es' if len(dups) > 1 else ''} to {where}{more}",
                          None, len(dups)))
    refused: dict[str, list[str]] = {}
    for s, o in mine:
        if isinstance(o, BaseException):
            reason = getattr(o, "description", "") or str(o).split("\n")[0]
            code = getattr(o, "err_code", None)
            refused.setdefault(f"{reason} [{code}]" if code else reason, []).append(s)
    for reason, subjects in refused.items():
        shown = ", ".join(subjects[:6]) + (f", … (+{len(subjects) - 6} more)"
                                            if len(subjects) > 6 else "")
        out.append(Change("not_stored", "stream",
                          f"stream: not stored, refused ({reason}): {len(subjects)} publish"
                          f"{'es' if len(subjects) > 1 else ''} to {shown}", None,
                          len(subjects)))
    return out


def _belongs(stream: StreamSnapshot, subject: str, outcome: Any) -> bool:
    name = getattr(outcome, "stream", None)
    if isinstance(name, str) and name:
        return name == stream.name
    ctx = getattr(outcome, "context", None) or {}
    if ctx.get("stream"):
        return ctx["stream"] == stream.name
    return any(subject_matches(f, subject) for f in stream.subjects)


def diff_snapshots(before: StreamSnapshot, after: StreamSnapshot, *,
                   published: Sequence[tuple[str, Any]] = ()) -> list[Change]:
    """Every difference from ``before`` to ``after``: stream first, then consumers by name.

    ``published`` lists the publishes made in between as (subject, outcome) pairs, the outcome
    a PubAck or the error that refused it: those the stream did not store are listed too.

        >>> [c.line for c in diff_snapshots(before, after)]
        ['stream: messages 3 -> 5', 'shipping: ack floor 3 -> 5']
    """
    if before.name != after.name:
        raise ValueError(
            f"cannot diff stream {before.name!r} against stream {after.name!r}: take both "
            "snapshots of the same stream"
        )
    changes = _stream_changes(before, after) + _publish_changes(after, published)
    old = {c.name: c for c in before.consumers}
    new = {c.name: c for c in after.consumers}
    for name in sorted(new.keys() - old.keys()):
        changes.append(Change("consumer_added", name, f"consumer added: {name}"))
    for name in sorted(old.keys() - new.keys()):
        changes.append(Change("consumer_removed", name, f"consumer removed: {name}"))
    for name in sorted(old.keys() & new.keys()):
        changes += _consumer_changes(old[name], new[name])
        if (old[name].created, old[name].name) == (new[name].created, new[name].name):
            changes += _state_changes(before, after, old[name], new[name])
    return changes


class PublishWatch:
    """Collects how publishes ended while it listens: ``(subject, PubAck or error)``.

    Registered on a session's ``on_publish`` list by `watch_publishes`; the subjects of what
    was stored are handed to ``remember`` (so removed cells keep their colour).
    """

    def __init__(self, stream: str, remember=None) -> None:
        self.stream = stream
        self.published: list[tuple[str, Any]] = []
        self._remember = remember

    def __call__(self, subject: str, outcome: Any) -> None:
        self.published.append((subject, outcome))
        seq = getattr(outcome, "seq", None)
        if (self._remember is not None and not isinstance(outcome, JetStreamError)
                and getattr(outcome, "stream", None) == self.stream and seq
                and not getattr(outcome, "duplicate", False)):
            self._remember(self.stream, {int(seq): subject})


@contextlib.contextmanager
def watch_publishes(session, stream: str) -> Iterator[PublishWatch]:
    """Listen to every JetStream publish of ``session`` during the block."""
    watch = PublishWatch(stream, session.deliveries.remember_subjects)
    hooks = getattr(session, "on_publish", None)
    if hooks is None:
        yield watch
        return
    hooks.append(watch)
    try:
        yield watch
    finally:
        with contextlib.suppress(ValueError):
            hooks.remove(watch)


class DiffNotFinishedError(JslabError):
    """A `SnapshotDiff` was read before its ``with`` block ended."""


class SnapshotDiff:
    """What an operation changed: ``before``/``after`` snapshots and the `Change` list.

    Made with both snapshots, or with ``before`` only and completed by ``_finish(after)``
    (how ``with lab.diff("ORDERS") as d:`` fills it when the block ends).

        >>> d = SnapshotDiff(before, after)
        >>> print(d)            # one change per line
        >>> d.tape()            # the two tapes, stacked
    """

    def __init__(self, before: StreamSnapshot, after: StreamSnapshot | None = None, *,
                 published: Sequence[tuple[str, Any]] = ()) -> None:
        self.before = before
        self.after: StreamSnapshot | None = None
        self.published: list[tuple[str, Any]] = list(published)
        self._changes: list[Change] = []
        if after is not None:
            self._finish(after)

    def _finish(self, after: StreamSnapshot, published: Sequence[tuple[str, Any]] | None = None
                ) -> SnapshotDiff:
        if published is not None:
            self.published = list(published)
        self._changes = diff_snapshots(self.before, after, published=self.published)
        self.after = after
        return self

    @property
    def not_stored(self) -> list[Change]:
        """The publishes of the block the stream did not store (duplicates, refusals)."""
        return [c for c in self.changes if c.kind == "not_stored"]

    @property
    def finished(self) -> bool:
        return self.after is not None

    def _require_finished(self) -> StreamSnapshot:
        if self.after is None:
            raise DiffNotFinishedError(
                f"this diff of stream {self.before.name!r} is not finished: the 'after' "
                "snapshot is taken when the 'with lab.diff(...)' block ends. Look at the "
                "diff after the block (on a line below it, not inside it)."
            )
        return self.after

    @property
    def changes(self) -> list[Change]:
        self._require_finished()
        return list(self._changes)

    def __bool__(self) -> bool:
        self._require_finished()
        return bool(self._changes)

    def __len__(self) -> int:
        return len(self.changes)

    def __iter__(self):
        return iter(self.changes)

    def __str__(self) -> str:
        name = self.before.name
        if self.after is None:
            return (f"diff of stream {name}: not finished yet (the 'after' snapshot is taken "
                    "when the 'with lab.diff(...)' block ends)")
        if not self._changes:
            return f"diff of stream {name}: no changes"
        return "\n".join([f"diff of stream {name}:", *(f"  {c.line}" for c in self._changes)])

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, p, cycle: bool) -> None:
        p.text(str(self))

    def _repr_html_(self) -> str:
        name = escape(self.before.name)
        if self.after is None:
            body = ('<p class="jslab-diff-open">not finished yet: the &#x27;after&#x27; snapshot '
                    "is taken when the <code>with lab.diff(...)</code> block ends</p>")
        elif not self._changes:
            body = '<p class="jslab-diff-none">no changes</p>'
        else:
            items = "".join(
                f'<li class="jslab-diff-{escape(c.kind)}">{escape(c.line)}</li>'
                for c in self._changes
            )
            body = f'<ul class="jslab-diff-list">{items}</ul>'
        return (f'<div class="jslab-diff"><div class="jslab-diff-title">diff of stream '
                f"<b>{name}</b></div>{body}</div>")

    def tape(self, **kw):
        """The before and after tapes stacked on one sequence range (`tape_compare`).

            >>> fig = d.tape()
            >>> fig = d.tape(titles=("before", "after ack"), window=(1, 20))
        """
        after = self._require_finished()
        from .tape import tape_compare

        return tape_compare(self.before, after, **kw)
