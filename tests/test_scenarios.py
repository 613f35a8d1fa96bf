"""Every teaching scenario: the snapshot equals the server's own info, and every view draws it.

Each scenario builds state on a real server through the Lab, then the snapshot's stream and
consumer numbers are compared with STREAM.INFO / CONSUMER.INFO, the text rendering is checked
to show them, and the HTML, tape and diff renderers all run on it.
"""

from __future__ import annotations

import re
import time

import pytest

from jslab.errors import MessageLimitReachedError
from jslab.snapshot import STATES
from jslab.viz import render_html, render_text
from jslab.viz.diff import SnapshotDiff
from jslab.viz.tape import tape
from jslab.viz.text import consumer_marks


def _wait(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition never became true"
        time.sleep(0.05)


def fetch_without_ack(lab):
    lab.add_consumer("S", "c")
    lab.fetch("S", "c", 3)


def ack(lab):
    lab.add_consumer("S", "c")
    for m in lab.fetch("S", "c", 3):
        m.ack()


def ack_sync(lab):
    lab.add_consumer("S", "c")
    lab.fetch("S", "c", 3).ack_sync()


def nak(lab):
    lab.add_consumer("S", "c")
    b = lab.fetch("S", "c", 2)
    b[1].nak()
    lab.fetch("S", "c", 1, wait=1)  # seq 2 again, delivered twice


def nak_with_delay(lab):
    lab.add_consumer("S", "c")
    lab.fetch("S", "c", 1)[0].nak(delay=30)  # stays pending while it waits


def in_progress(lab):
    lab.add_consumer("S", "c", ack_wait=1)
    m = lab.fetch("S", "c", 1)[0]
    for _ in range(3):
        time.sleep(0.4)
        m.in_progress()  # keeps it from being redelivered past ack_wait


def term(lab):
    lab.add_consumer("S", "c")
    b = lab.fetch("S", "c", 2)
    b[0].ack_sync()
    b[1].term()


def ack_wait_redelivery(lab):
    lab.add_consumer("S", "c", ack_wait=0.5)
    lab.fetch("S", "c", 6)
    assert lab.fetch("S", "c", 1, wait=3).seqs == [1]  # redelivered after ack_wait


def ack_all(lab):
    lab.add_consumer("S", "c", ack_policy="all")
    lab.fetch("S", "c", 4)[2].ack_sync()  # acks 1-3


def purge(lab):
    lab.add_consumer("S", "c")
    lab.fetch("S", "c", 2)
    lab.purge_stream("S", keep=2)


def delete_one(lab):
    lab.add_consumer("S", "c")
    lab.delete_msg("S", 3)
    lab.fetch("S", "c", 2).ack_sync()


def max_msgs_discard_old(lab):
    lab.update_stream("S", max_msgs=3)
    lab.add_consumer("S", "c")


def max_msgs_discard_new(lab):
    lab.delete_stream("S")
    lab.add_stream("S", subjects=["s.>"], max_msgs=3, discard="new")
    lab.publish_many("s.a", range(3))
    with pytest.raises(MessageLimitReachedError):
        lab.publish("s.a", "refused")
    lab.add_consumer("S", "c")


def max_age_expiry(lab):
    lab.delete_stream("S")
    lab.add_stream("S", subjects=["s.>"], max_age=0.5)
    lab.publish_many("s.a", range(3))
    lab.add_consumer("S", "c")
    _wait(lambda: lab.stream_info("S").state.messages == 0)


def work_queue_removal(lab):
    lab.delete_stream("S")
    lab.add_stream("S", subjects=["s.>"], retention="workqueue")
    lab.publish_many("s.a", range(5))
    lab.add_consumer("S", "c")
    b = lab.fetch("S", "c", 3)
    b[0].ack_sync()
    b[1].ack_sync()


def interest_removal(lab):
    lab.delete_stream("S")
    lab.add_stream("S", subjects=["s.>"], retention="interest")
    lab.add_consumer("S", "all")
    lab.add_consumer("S", "a_only", filter_subject="s.a")
    lab.publish_many([("s.a", 1), ("s.b", 2), ("s.a", 3)])
    lab.fetch("S", "all", 3).ack_sync()  # s.b is gone; the s.a ones wait for a_only


def filtered_consumers(lab):
    lab.add_consumer("S", "a", filter_subject="s.a")
    lab.add_consumer("S", "ab", filter_subjects=["s.a", "s.b"])
    lab.fetch("S", "a", 1).ack_sync()
    lab.fetch("S", "ab", 2)


SCENARIOS = [fetch_without_ack, ack, ack_sync, nak, nak_with_delay, in_progress, term,
             ack_wait_redelivery, ack_all, purge, delete_one, max_msgs_discard_old,
             max_msgs_discard_new, max_age_expiry, work_queue_removal, interest_removal,
             filtered_consumers]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__)
def test_snapshot_matches_the_server_and_every_view_draws_it(lab, scenario):
    lab.add_stream("S", subjects=["s.>"])
    lab.publish_many([("s.a", 1), ("s.b", 2), ("s.a", 3), ("s.c", 4), ("s.a", 5), ("s.b", 6)])
    before = lab.snapshot("S")
    scenario(lab)
    snap = lab.snapshot("S")

    info = lab.stream_info("S")
    state = info.state
    assert (snap.first_seq, snap.last_seq, snap.messages, snap.bytes) == (
        state.first_seq, state.last_seq, state.messages, state.bytes)
    assert snap.num_deleted == (state.num_deleted or 0)
    text = render_text(snap)
    assert f"messages {snap.messages}" in text
    for c in snap.consumers:
        ci = lab.consumer_info("S", c.name)
        assert (c.delivered_stream_seq, c.delivered_consumer_seq) == (
            ci.delivered.stream_seq, ci.delivered.consumer_seq)
        assert (c.ack_floor_stream_seq, c.ack_floor_consumer_seq) == (
            ci.ack_floor.stream_seq, ci.ack_floor.consumer_seq)
        assert (c.num_ack_pending, c.num_redelivered, c.num_pending) == (
            ci.num_ack_pending, ci.num_redelivered, ci.num_pending)
        assert len(c.unacked) <= c.num_ack_pending  # the kit never invents pending work
        # The kit drove every consumer here: it knows exactly which seqs wait for an ack.
        per_seq = [run.state for run in snap.consumer_states(c)
                   for _ in range(run.first, run.last + 1)]
        assert sum(st in ("pending", "redelivered") for st in per_seq) == c.num_ack_pending
        assert "unknown" not in per_seq
        if snap.state_range:
            marks = consumer_marks(snap, c, *snap.state_range).rstrip()
            assert marks == "".join(STATES[st].char for st in per_seq)
            if marks and len(marks) <= 60:
                assert f"  {c.name:<12} {marks}" in text
        assert f"ack floor     stream seq {c.ack_floor_stream_seq}" in text
        assert f"delivered     stream seq {c.delivered_stream_seq}" in text
        assert f"unprocessed   {c.num_pending}" in text

    page = render_html(snap)
    assert "jslab" in page
    # The HTML strip shows the same states as the text (one cell per seq and consumer).
    if snap.state_range and snap.state_range[1] - snap.state_range[0] < 60:
        html_states = re.findall(r'class="jslab-cell jslab-state-(\w+)"', page)
        assert html_states == [run.state for c in snap.consumers
                               for run in snap.consumer_states(c)
                               for _ in range(run.first, run.last + 1)]
    fig = tape(snap)
    assert len(fig.axes) == 1
    d = SnapshotDiff(before)._finish(snap)
    assert str(d)
    assert len(d.tape().axes) == 2
