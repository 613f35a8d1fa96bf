"""Every per-sequence state a consumer row can show, each from a real server scenario.

Each test drives a consumer into a state (through this lab, another lab on the same server, or
raw nats-py), then checks that the snapshot says exactly that state for the sequences
concerned, that the server's own numbers are unchanged in it, that nothing before a
consumer's start point is drawn as acked, and that the text and the figure show the same.
"""

from __future__ import annotations

import datetime as dt
import time

import matplotlib

matplotlib.use("Agg")

import pytest

from jslab.lab import Lab
from jslab.server import LocalServer
from jslab.snapshot import STATES
from jslab.viz.tape import tape
from jslab.viz.text import consumer_marks

PUBLISHED = [("s.a", 1), ("s.b", 2), ("s.a", 3), ("s.c", 4), ("s.a", 5), ("s.b", 6)]


def states(snap, name: str) -> dict[int, str]:
    out = {}
    for run in snap.consumer_states(name):
        for seq in range(run.first, run.last + 1):
            out[seq] = run.state
    return out


def check(lab, snap) -> None:
    """The server's numbers are the snapshot's; the pictures agree; nothing is invented."""
    fig = tape(snap)
    drawn: dict[str, int] = {}
    for c in fig.axes[0].collections:
        gid = c.get_gid() or ""
        if gid.startswith("state:"):
            drawn[gid[6:]] = drawn.get(gid[6:], 0) + len(c.get_paths())
    counted: dict[str, int] = {}
    lo, hi = snap.state_range
    for c in snap.consumers:
        ci = lab.consumer_info(snap.name, c.name)
        assert (c.ack_floor_stream_seq, c.delivered_stream_seq, c.num_ack_pending,
                c.num_redelivered, c.num_pending) == (
            ci.ack_floor.stream_seq, ci.delivered.stream_seq, ci.num_ack_pending,
            ci.num_redelivered, ci.num_pending)
        per_seq = states(snap, c.name)
        # Ack-pending cells never exceed what the server counts.
        waiting = sum(1 for s in per_seq.values() if s in ("pending", "redelivered"))
        assert waiting <= c.num_ack_pending
        if c.start_seq is not None:
            assert all(s == "before_start" for q, s in per_seq.items() if q < c.start_seq)
        # The text tape writes the same states, one character each.
        marks = consumer_marks(snap, c, lo, hi)
        assert marks.rstrip() == "".join(STATES[per_seq[q]].char for q in sorted(per_seq))
        for s in per_seq.values():
            counted[s] = counted.get(s, 0) + 1
        # No delivered triangle on a consumer that delivered nothing.
    counted.pop("removed", None)
    assert drawn == counted
    n_triangles = sum(1 for line in fig.axes[0].lines if line.get_gid() == "delivered")
    assert n_triangles == sum(1 for c in snap.consumers
                              if c.delivered_any and lo <= c.delivered_stream_seq <= hi)


@pytest.fixture
def server():
    with LocalServer() as srv:
        yield srv


@pytest.fixture
def lab(server):
    lab = Lab(server.url)
    lab.add_stream("S", subjects=["s.>"])
    lab.publish_many(PUBLISHED)
    yield lab
    lab.close()


# ---------------------------------------------------------------------------- start points
def test_each_deliver_policy_starts_where_the_server_says(lab):
    time.sleep(0.05)
    between = dt.datetime.now(dt.timezone.utc)
    time.sleep(0.05)
    lab.publish_many([("s.c", 7), ("s.b", 8)])
    policies = {
        "all": dict(deliver_policy="all"),
        "last": dict(deliver_policy="last"),
        "per_subject": dict(deliver_policy="last_per_subject", filter_subject="s.*"),
        "new": dict(deliver_policy="new"),
        "from3": dict(deliver_policy="by_start_sequence", opt_start_seq=3),
        "from_time": dict(deliver_policy="by_start_time", opt_start_time=between),
    }
    for name, cfg in policies.items():
        lab.add_consumer("S", name, **cfg)

    first = lab.snapshot("S")
    starts = {c.name: c.start_seq for c in first.consumers}
    assert starts == {"all": 1, "last": 8, "per_subject": 5, "new": 9, "from3": 3,
                      "from_time": 7}
    for c in first.consumers:  # nothing delivered: no triangle, nothing acked
        assert not c.delivered_any
        assert set(states(first, c.name).values()) <= {"before_start", "unprocessed"}
    check(lab, first)

    lab.publish("s.a", 9)
    for name in policies:
        lab.fetch("S", name, 20, wait=0.2).ack_sync()
    snap = lab.snapshot("S")
    check(lab, snap)
    for c in snap.consumers:
        per_seq = states(snap, c.name)
        assert all(per_seq[q] == "before_start" for q in range(1, c.start_seq))
        assert per_seq[9] == "acked"
    # last_per_subject delivered the last s.a (5), s.c (7), s.b (8): 6 was skipped, and the
    # kit knows, because it received every delivery of that consumer.
    lps = states(snap, "per_subject")
    assert [lps[q] for q in range(5, 10)] == ["acked", "before_start", "acked", "acked",
                                              "acked"]
    assert [states(snap, "from3")[q] for q in (2, 3, 8)] == ["before_start", "acked", "acked"]


def test_start_is_found_at_the_first_fetch_without_a_snapshot(lab):
    lab.add_consumer("S", "new", deliver_policy="new")
    lab.publish_many([("s.a", 7), ("s.b", 8)])
    lab.fetch("S", "new", 5).ack_sync()  # the kit never took a snapshot in between
    snap = lab.snapshot("S")
    c = snap.consumer("new")
    assert c.start_seq == 7
    assert [states(snap, "new")[q] for q in (6, 7, 8)] == ["before_start", "acked", "acked"]
    check(lab, snap)


def test_start_unknown_when_first_seen_after_delivering(server, lab):
    other = Lab(server.url)
    try:
        other.add_consumer("S", "late", deliver_policy="new")
        other.publish_many([("s.a", 7), ("s.b", 8)])
        other.fetch("S", "late", 5).ack_sync()
        other.add_consumer("S", "timed", deliver_policy="by_start_time",
                           opt_start_time=dt.datetime.now(dt.timezone.utc))
        other.publish("s.c", 9)
        other.fetch("S", "timed", 5).ack_sync()
    finally:
        other.close()
    snap = lab.snapshot("S")
    late = snap.consumer("late")
    assert late.start_seq is None and "unknown" in late.start_note
    per_seq = states(snap, "late")
    # At or below the ack floor, and not seen by this kit: never claimed as plain "acked".
    assert {per_seq[q] for q in range(1, 9)} == {"done_unseen"} and per_seq[9] == "unprocessed"
    assert "start         not known (first seen after it had delivered)" in str(snap)
    # by_start_time is resolved with one lookup of the first message at or after the time.
    assert snap.consumer("timed").start_seq == 9
    assert states(snap, "timed")[8] == "before_start"
    check(lab, snap)


# ---------------------------------------------------------------------------- what was done
def test_filtered_consumer_over_unmatched_subjects(lab):
    lab.add_consumer("S", "a_only", filter_subject="s.a")
    lab.fetch("S", "a_only", 2).ack_sync()
    snap = lab.snapshot("S")
    per_seq = states(snap, "a_only")
    assert per_seq == {1: "acked", 2: "not_matched", 3: "acked", 4: "not_matched",
                       5: "unprocessed", 6: "not_matched"}
    check(lab, snap)


def test_out_of_order_ack_and_pending(lab):
    lab.add_consumer("S", "c")
    batch = lab.fetch("S", "c", 3)
    batch[2].ack_sync()
    snap = lab.snapshot("S")
    assert [states(snap, "c")[q] for q in (1, 2, 3, 4)] == [
        "pending", "pending", "acked_above_floor", "unprocessed"]
    assert snap.consumer("c").unacked == (1, 2)
    check(lab, snap)


def test_ack_all_and_ack_none(lab):
    lab.add_consumer("S", "all", ack_policy="all")
    lab.fetch("S", "all", 4)[2].ack_sync()  # acks 1..3
    lab.add_consumer("S", "none", ack_policy="none")
    lab.fetch("S", "none", 2)
    snap = lab.snapshot("S")
    assert [states(snap, "all")[q] for q in (1, 2, 3, 4, 5)] == [
        "acked", "acked", "acked", "pending", "unprocessed"]
    assert [states(snap, "none")[q] for q in (1, 2, 3)] == [
        "delivered_no_ack", "delivered_no_ack", "unprocessed"]
    check(lab, snap)


def test_redelivery_after_ack_wait(lab):
    lab.add_consumer("S", "slow", ack_wait=0.5)
    lab.fetch("S", "slow", 2)
    time.sleep(0.7)  # past ack_wait: redeliveries come before new messages
    again = lab.fetch("S", "slow", 2, wait=3)
    assert again.seqs == [1, 2] and again[0].num_delivered == 2
    snap = lab.snapshot("S")
    c = snap.consumer("slow")
    assert [states(snap, "slow")[q] for q in (1, 2, 3)] == [
        "redelivered", "redelivered", "unprocessed"]
    assert c.times(1) == 2 and c.num_redelivered == 2
    assert "×2" in [t.get_text() for t in tape(snap).findobj(matplotlib.text.Text)]
    check(lab, snap)


def test_term_and_max_deliver(lab):
    lab.add_stream("PAY", subjects=["pay.>"])
    lab.publish_many("pay.new", ["ok-1", "timeout-2", "ok-3", "fraud-4"])
    lab.add_consumer("PAY", "charge", max_deliver=3)
    deadline = time.monotonic() + 20
    while batch := lab.fetch("PAY", "charge", 10, wait=0.5):
        assert time.monotonic() < deadline
        for msg in batch:
            if msg.data.startswith("ok"):
                msg.ack_sync()
            elif msg.data.startswith("fraud"):
                msg.term(reason="fraud suspected")
            else:
                msg.nak()
    snap = lab.snapshot("PAY")
    c = snap.consumer("charge")
    assert states(snap, "charge") == {1: "acked", 2: "given_up", 3: "acked_above_floor",
                                      4: "terminated"}
    assert dict(c.given_up) == {2: 3} and c.num_ack_pending == 0
    text = str(snap)
    assert "given up      2 (x3)" in text and "terminated    4" in text
    assert "  charge       =!+X" in text
    check(lab, snap)


def test_given_up_stays_pending_until_the_server_lets_go(lab):
    """Delivered max_deliver times and unanswered: ack pending until the server gives up."""
    lab.add_consumer("S", "two", filter_subject="s.c", max_deliver=2, ack_wait=0.4)
    lab.fetch("S", "two", 1)
    time.sleep(0.6)
    assert lab.fetch("S", "two", 1, wait=3)[0].num_delivered == 2  # the last delivery of 4
    snap = lab.snapshot("S")
    assert states(snap, "two")[4] == "redelivered"
    check(lab, snap)
    deadline = time.monotonic() + 10
    while lab.consumer_info("S", "two").num_ack_pending:
        assert time.monotonic() < deadline
        assert not lab.fetch("S", "two", 1, wait=0.3)  # never delivered a third time
    snap = lab.snapshot("S")
    assert states(snap, "two")[4] == "given_up"
    check(lab, snap)


# ---------------------------------------------------------------------------- not this kit
def test_consumer_driven_by_another_lab(server, lab):
    lab.add_consumer("S", "shared")
    lab.snapshot("S")  # this kit saw it before it delivered anything
    other = Lab(server.url)
    try:
        batch = other.fetch("S", "shared", 4)
        snap = lab.snapshot("S")
        # Four delivered, four pending on the server, none seen here: the count proves it.
        assert [states(snap, "shared")[q] for q in range(1, 6)] == ["pending"] * 4 + [
            "unprocessed"]
        check(lab, snap)
        batch[0].ack_sync()
        batch[2].ack_sync()
        snap = lab.snapshot("S")
        # Floor 1 (done, not seen here); of 2..4 two are pending and one was acked: which
        # one the server does not say.
        assert [states(snap, "shared")[q] for q in range(1, 5)] == [
            "done_unseen", "unknown", "unknown", "unknown"]
        check(lab, snap)
        batch[1].ack_sync()
        batch[3].ack_sync()
        snap = lab.snapshot("S")
        assert [states(snap, "shared")[q] for q in range(1, 6)] == ["done_unseen"] * 4 + [
            "unprocessed"]
        check(lab, snap)
    finally:
        other.close()


def test_consumer_driven_with_raw_nats_py(lab):
    lab.add_consumer("S", "raw", filter_subject="s.a")

    async def fetch_and_ack():
        sub = await lab.session.js.pull_subscribe_bind("raw", "S")
        msgs = await sub.fetch(2, timeout=2)
        await msgs[1].ack_sync()
        return [m.metadata.sequence.stream for m in msgs]

    assert lab.session.call(fetch_and_ack()) == [1, 3]
    snap = lab.snapshot("S")
    # 1 still pending, 3 acked out of order: the server's count (1) leaves 1 or 3 pending,
    # and the kit saw neither, so both are "not known".
    assert [states(snap, "raw")[q] for q in (1, 2, 3, 5)] == [
        "unknown", "not_matched", "unknown", "unprocessed"]
    check(lab, snap)


def test_a_consumer_made_again_under_the_same_name_forgets_the_old_one(server, lab):
    lab.add_consumer("S", "again")
    lab.fetch("S", "again", 3).ack_sync()
    other = Lab(server.url)
    try:
        other.delete_consumer("S", "again")
        other.add_consumer("S", "again", deliver_policy="by_start_sequence", opt_start_seq=5)
    finally:
        other.close()
    snap = lab.snapshot("S")
    per_seq = states(snap, "again")
    assert [per_seq[q] for q in (1, 3, 5)] == ["before_start", "before_start", "unprocessed"]
    assert not snap.consumer("again").acked  # the old consumer's acks are not this one's
    check(lab, snap)


# ---------------------------------------------------------------------------- removal
def test_work_queue_acked_away_keeps_subject_and_state(lab):
    lab.add_stream("Q", subjects=["q.>"], retention="workqueue")
    lab.add_consumer("Q", "w")
    lab.publish_many([("q.x", 1), ("q.y", 2), ("q.x", 3)])
    batch = lab.fetch("Q", "w", 2)
    batch.ack_sync()
    snap = lab.snapshot("Q")
    assert snap.first_seq == 3
    # Removed from the stream (acked away), and the kit remembers what they were.
    assert dict(snap.removed_subjects) == {1: "q.x", 2: "q.y"}
    assert [states(snap, "w")[q] for q in (1, 2, 3)] == ["acked", "acked", "unprocessed"]
    fig = tape(snap)
    gaps = [c for c in fig.axes[0].collections if c.get_gid() == "gaps"]
    assert sum(len(c.get_paths()) for c in gaps) == 2
    check(lab, snap)


# ---------------------------------------------------------------------------- bounded memory
def test_what_the_kit_saw_is_kept_as_bounded_runs():
    from jslab.deliveries import RANGES_KEPT, SeqRanges

    r = SeqRanges()
    for start in range(1, 1_000_001, 1000):  # a million acks in order: one run
        r.add(start, start + 999)
    assert r.runs() == [(1, 1_000_000)] and len(r) == 1_000_000
    r.add_many([5, 7, 6, 1_000_002])
    assert r.runs() == [(1, 1_000_000), (1_000_002, 1_000_002)]
    scattered = SeqRanges()
    scattered.add_many(range(1, 4 * RANGES_KEPT, 2))  # every other seq: one run each
    assert len(scattered.runs()) == RANGES_KEPT
    assert scattered.complete_from > 1 and 1 not in scattered  # the oldest went first
    assert 4 * RANGES_KEPT - 1 in scattered


def test_fetch_and_ack_of_many_is_one_run(lab):
    lab.add_stream("BIG", subjects=["big.>"])
    lab.publish_many("big.x", range(20_000))
    lab.add_consumer("BIG", "fast")
    got = 0
    while got < 20_000:
        got += len(lab.fetch_and_ack("BIG", "fast", 1000))  # max_ack_pending: 1,000
    rec = lab.session.deliveries.record("BIG", "fast")
    assert rec.acked.runs() == [(1, 20_000)] and rec.delivered.runs() == [(1, 20_000)]
    assert rec.saw_every_delivery(20_000)
    snap = lab.snapshot("BIG")  # too long for a window: no per-seq states, counts only
    assert snap.window is None and snap.consumer("fast").acked == ((1, 20_000),)
