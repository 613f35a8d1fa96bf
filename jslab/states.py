"""Where a consumer stands on each sequence of its stream: only what can be proven.

The server reports a consumer with a handful of numbers (ack floor, delivered, ack pending,
redelivered, unprocessed). What it did with one particular sequence follows from them only
sometimes; the rest the kit knows because it saw it happen (its own fetches, acks, naks and
terms, recorded by ``jslab.deliveries``). Every state below is one a consumer was provably in;
where neither the server's numbers nor the kit's own record say, the state is ``unknown`` or
``done_unseen``, never a guess.

Pure functions of snapshot data (no connections), used by the snapshot model and every view.

    >>> [STATES[name].char for name in ("acked", "pending", "unprocessed")]
    ['=', '*', 'o']
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from .names import subject_matches

if TYPE_CHECKING:
    from .snapshot import ConsumerSnapshot, StreamSnapshot

__all__ = ["STATES", "State", "StateRun", "consumer_states", "expand_runs", "matcher",
           "runs_of"]


class State(NamedTuple):
    """One state: its text-tape character and what it means, in the kit's words."""

    char: str
    label: str


#: Every state a consumer row can show, in legend order.
STATES: Mapping[str, State] = {
    "before_start": State("-", "before its start point"),
    "not_matched": State("_", "not for this consumer (filter)"),
    "acked": State("=", "acked"),
    "acked_above_floor": State("+", "acked above the ack floor (out of order)"),
    "delivered_no_ack": State("d", "delivered (ack none: nothing to ack)"),
    "done_unseen": State("~", "done, not seen by the kit (acked, termed or skipped)"),
    "pending": State("*", "ack pending"),
    "redelivered": State("R", "redelivered ×N, ack pending"),
    "given_up": State("!", "given up (max_deliver reached)"),
    "terminated": State("X", "terminated (term)"),
    "unknown": State("?", "not known (the kit did not see it, the server does not say)"),
    "unprocessed": State("o", "unprocessed (not delivered yet)"),
    "removed": State(".", "removed from the stream"),
}


class StateRun(NamedTuple):
    """Sequences ``first..last`` (inclusive) in one state."""

    first: int
    last: int
    state: str


def runs_of(pairs: Iterable[tuple[int, str]]) -> tuple[StateRun, ...]:
    """(seq, state) pairs in seq order -> runs of consecutive seqs in the same state."""
    out: list[StateRun] = []
    for seq, state in pairs:
        if out and out[-1].state == state and out[-1].last == seq - 1:
            out[-1] = StateRun(out[-1].first, seq, state)
        else:
            out.append(StateRun(seq, seq, state))
    return tuple(out)


def expand_runs(runs: Sequence[tuple[int, int]], lo: int, hi: int) -> set[int]:
    """The sequences of sorted runs that fall inside ``lo..hi``."""
    out: set[int] = set()
    i = max(0, bisect.bisect_right([a for a, _ in runs], lo) - 1)
    for a, b in runs[i:]:
        if a > hi:
            break
        if b >= lo:
            out.update(range(max(a, lo), min(b, hi) + 1))
    return out


def matcher(filters: Sequence[str]):
    """``subject -> bool`` for a consumer's filters (no filter matches everything); cached."""
    if not filters:
        return lambda _subject: True
    cache: dict[str, bool] = {}

    def matches(subject: str) -> bool:
        hit = cache.get(subject)
        if hit is None:
            hit = cache[subject] = any(subject_matches(f, subject) for f in filters)
        return hit

    return matches


def consumer_states(snap: StreamSnapshot, c: ConsumerSnapshot, lo: int,
                    hi: int) -> tuple[StateRun, ...]:
    """The state of consumer ``c`` on every sequence ``lo..hi`` (up to the stream's last).

    Decided in this order: before its start point; what the kit saw (terminated, given up,
    acked, ack pending); not matched by the filter; removed from the stream; after the
    delivered pointer (unprocessed); at or below the ack floor; and last, between the floor
    and the delivered pointer, what the server's ack-pending count proves.
    """
    hi = min(hi, snap.last_seq)
    if hi < lo:
        return ()
    floor, delivered = c.ack_floor_stream_seq, c.delivered_stream_seq
    start = c.start_seq
    match = matcher(c.filter_subjects)
    filtered = bool(c.filter_subjects)
    acked = expand_runs(c.acked, lo, hi)
    termed = expand_runs(c.terminated, lo, hi)
    kit_delivered = expand_runs(c.kit_delivered, lo, hi)
    newest_ack = c.acked[-1][1] if c.acked else 0
    pending, redelivered, given_up = set(c.unacked), c.redelivered, c.given_up
    first, last = snap.first_seq, snap.last_seq
    a, b = bisect.bisect_left(snap.deleted, lo), bisect.bisect_right(snap.deleted, hi)
    deleted = set(snap.deleted[a:b])
    subject_of = snap.subject_of
    lps = c.deliver_policy == "last_per_subject"

    states: list[str] = []
    candidates: list[int] = []  # floor < seq <= delivered, stored, matching, unseen by the kit
    unsure = False  # a seq between floor and delivered whose subject is not known
    for seq in range(lo, hi + 1):
        if start is not None and seq < start:
            state = "before_start"
        elif seq in termed:
            state = "terminated"
        elif seq in given_up:
            state = "given_up"
        elif seq in acked:
            state = "acked" if seq <= floor else "acked_above_floor"
        elif seq in pending:
            state = "redelivered" if seq in redelivered else "pending"
        else:
            subject = subject_of(seq)
            hit = match(subject) if subject is not None else (None if filtered else True)
            stored = snap.messages > 0 and first <= seq <= last and seq not in deleted
            if hit is False:
                state = "not_matched"
            elif not stored:
                state = "removed"
            elif hit is None:
                state = "unknown"
                unsure = unsure or floor < seq <= delivered
            elif seq > delivered:
                state = "unprocessed"
            elif c.ack_policy == "none":
                state = "delivered_no_ack" if start is not None else "done_unseen"
            elif c.kit_saw_all and seq not in kit_delivered:
                # The kit received every delivery and this was not one: the consumer skipped
                # it (deliver last_per_subject starts at each subject's last message).
                state = "before_start" if lps else (
                    "done_unseen" if seq <= floor else "unknown")
            elif seq <= floor:
                covered = c.ack_policy == "all" and seq in kit_delivered and newest_ack >= seq
                state = "acked" if covered else "done_unseen"
            else:
                state = "?candidate"
                candidates.append(seq)
        states.append(state)

    if candidates:
        # Between the floor and the delivered pointer, not seen by the kit: the server's count
        # of pending acks beyond what the kit knows decides, when it can.
        extra = c.num_ack_pending - len(c.unacked)
        whole = lo <= floor + 1 and hi >= delivered and not unsure
        if extra <= 0:
            decided = "done_unseen"
        elif whole and extra == len(candidates):
            decided = "pending"
        else:
            decided = "unknown"
        states = [decided if s == "?candidate" else s for s in states]
    return runs_of(zip(range(lo, hi + 1), states, strict=True))
