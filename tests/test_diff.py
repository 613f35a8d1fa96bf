"""diff_snapshots and SnapshotDiff on snapshots taken around real operations."""

from __future__ import annotations

import pytest
from _raw import run, session_of, settle
from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy, StreamConfig

from jslab.collect import collect_snapshot
from jslab.errors import JslabError
from jslab.viz import SnapshotDiff, diff_snapshots


def lines(before, after) -> list[str]:
    return [c.line for c in diff_snapshots(before, after)]


def test_ack_moves_floor_and_empties_pending(nats_server):
    async def scenario(nc, js):
        await js.add_stream(name="ACK", subjects=["ack"])
        for _ in range(3):
            await js.publish("ack", b"")
        await js.add_consumer("ACK", ConsumerConfig(durable_name="shipping",
                                                    ack_policy=AckPolicy.EXPLICIT))
        sub = await js.pull_subscribe_bind("shipping", "ACK")
        msgs = await sub.fetch(2)
        before = await collect_snapshot(session_of(nc), "ACK", seen={"shipping": {1: 1, 2: 1}})
        for m in msgs:
            await m.ack_sync()
        after = await collect_snapshot(session_of(nc), "ACK", seen={"shipping": {}})
        return before, after

    before, after = run(nats_server, scenario)
    assert lines(before, after) == [
        "shipping: ack floor 0 -> 2",
        "shipping: ack pending {1, 2} -> {}",
    ]
    d = SnapshotDiff(before, after)
    assert bool(d) and len(d) == 2 and d.changes[0].kind == "ack_floor"
    first = d.changes[0]
    assert first.subject == "shipping" and (first.before, first.after) == (0, 2)
    assert repr(d) == ("diff of stream ACK:\n  shipping: ack floor 0 -> 2\n"
                       "  shipping: ack pending {1, 2} -> {}")
    assert not SnapshotDiff(after, after)
    assert str(SnapshotDiff(after, after)) == "diff of stream ACK: no changes"


def test_publish_overflow_delete_purge(nats_server):
    async def scenario(nc, js):
        await js.add_stream(name="LIM", subjects=["lim.*"], max_msgs=3)
        for _ in range(3):
            await js.publish("lim.a", b"")
        s0 = await collect_snapshot(session_of(nc), "LIM")
        await js.publish("lim.a", b"")
        await js.publish("lim.b", b"")
        s1 = await collect_snapshot(session_of(nc), "LIM")
        await js.delete_msg("LIM", 4)
        s2 = await collect_snapshot(session_of(nc), "LIM")
        await js.purge_stream("LIM")
        s3 = await collect_snapshot(session_of(nc), "LIM")
        return s0, s1, s2, s3

    s0, s1, s2, s3 = run(nats_server, scenario)
    published = lines(s0, s1)
    assert "stream: last seq 3 -> 5 (+2 published)" in published
    assert "stream: first seq 1 -> 3 (max_msgs)" in published
    assert "stream: subject lim.a 3 -> 2" in published
    assert "stream: subject lim.b 0 -> 1" in published
    assert not any(line.startswith("stream: messages") for line in published)  # 3 -> 3

    deleted = lines(s1, s2)
    assert "stream: deleted +{4} (delete)" in deleted
    assert "stream: messages 3 -> 2" in deleted

    purged = lines(s2, s3)
    assert "stream: first seq 3 -> 6 (purge)" in purged
    assert "stream: messages 2 -> 0" in purged


def test_work_queue_and_interest_removal_are_explained(nats_server):
    async def scenario(nc, js):
        out = {}
        for name, retention in (("WORK", RetentionPolicy.WORK_QUEUE),
                                ("INTR", RetentionPolicy.INTEREST)):
            await js.add_stream(StreamConfig(name=name, subjects=[f"{name}.x"],
                                             retention=retention))
            await js.add_consumer(name, ConsumerConfig(durable_name="w",
                                                       ack_policy=AckPolicy.EXPLICIT))
            for _ in range(3):
                await js.publish(f"{name}.x", b"")
            sub = await js.pull_subscribe_bind("w", name)
            msgs = await sub.fetch(3)
            before = await collect_snapshot(session_of(nc), name)
            await msgs[1].ack_sync()
            await msgs[0].ack_sync()
            out[name] = (before, await collect_snapshot(session_of(nc), name))
        return out

    out = run(nats_server, scenario)
    work = lines(*out["WORK"])
    assert "stream: first seq 1 -> 3 (work-queue: acked messages are removed)" in work
    assert "stream: messages 3 -> 1" in work and "w: ack floor 0 -> 2" in work
    intr = lines(*out["INTR"])
    assert ("stream: first seq 1 -> 3 (interest: gone once every matching consumer acked "
            "(or none matched))") in intr


def test_consumers_added_removed_and_redelivered(nats_server):
    async def scenario(nc, js):
        await js.add_stream(name="CONS", subjects=["cons"])
        await js.publish("cons", b"")
        await js.add_consumer("CONS", ConsumerConfig(durable_name="old",
                                                     ack_policy=AckPolicy.EXPLICIT))
        await js.add_consumer("CONS", ConsumerConfig(durable_name="nakked",
                                                     ack_policy=AckPolicy.EXPLICIT))
        sub = await js.pull_subscribe_bind("nakked", "CONS")
        (msg,) = await sub.fetch(1)
        before = await collect_snapshot(session_of(nc), "CONS", seen={"nakked": {1: 1}})
        await settle(nc, msg, b"-NAK")
        await nc.flush()
        (again,) = await sub.fetch(1)
        await js.delete_consumer("CONS", "old")
        await js.add_consumer("CONS", ConsumerConfig(durable_name="new"))
        after = await collect_snapshot(session_of(nc), "CONS",
                                       seen={"nakked": {1: again.metadata.num_delivered}})
        return before, after

    before, after = run(nats_server, scenario)
    got = lines(before, after)
    assert "consumer added: new" in got and "consumer removed: old" in got
    assert "nakked: redelivered 0 -> 1 (1 x2)" in got
    assert "nakked: delivered 1 -> 1 (consumer seq 1 -> 2)" in got
    assert not any(line.startswith("nakked: ack pending") for line in got)  # still {1}


def test_unfinished_diff_says_so_then_completes(nats_server):
    async def scenario(nc, js):
        await js.add_stream(name="OPEN", subjects=["open.<x>"])
        before = await collect_snapshot(session_of(nc), "OPEN")
        await js.publish("open.<x>", b"")
        return before, await collect_snapshot(session_of(nc), "OPEN")

    before, after = run(nats_server, scenario)
    d = SnapshotDiff(before)
    assert "not finished yet" in repr(d) and "not finished yet" in d._repr_html_()
    with pytest.raises(JslabError, match="block ends"):
        d.changes  # noqa: B018
    with pytest.raises(JslabError):
        bool(d)
    assert d._finish(after) is d and d.finished
    assert "stream: subject open.<x> 0 -> 1" in [c.line for c in d]
    page = d._repr_html_()
    assert "open.&lt;x&gt;" in page and "open.<x>" not in page


def test_diff_tape_stacks_before_and_after(nats_server):
    async def scenario(nc, js):
        await js.add_stream(name="PIC", subjects=["pic"])
        before = await collect_snapshot(session_of(nc), "PIC")
        await js.publish("pic", b"")
        return before, await collect_snapshot(session_of(nc), "PIC")

    before, after = run(nats_server, scenario)
    fig = SnapshotDiff(before, after).tape()
    titles = [ax.get_title(loc="left") + ax.get_title() for ax in fig.axes]
    assert any("before" in t for t in titles) and any("after" in t for t in titles)
    with pytest.raises(JslabError):
        SnapshotDiff(before).tape()


def test_diffing_two_streams_is_refused(nats_server):
    async def scenario(nc, js):
        await js.add_stream(name="ONE", subjects=["one"])
        await js.add_stream(name="TWO", subjects=["two"])
        session = session_of(nc)
        return await collect_snapshot(session, "ONE"), await collect_snapshot(session, "TWO")

    one, two = run(nats_server, scenario)
    with pytest.raises(ValueError, match="same stream"):
        diff_snapshots(one, two)


# ---------------------------------------------------------------------------------------------
# what the server did not store, and what consumers did, inside a lab.diff block


def test_diff_lists_duplicates_and_refusals(lab):
    lab.add_stream("DEDUP", subjects=["dedup.>"], duplicate_window=30)
    with lab.diff("DEDUP") as d:
        lab.publish("dedup.login", "alice", msg_id="login-1")
        lab.publish("dedup.login", "alice", msg_id="login-1")  # answered duplicate
        lab.publish_many([("dedup.pay", "a"), ("dedup.pay", "a")],
                         headers={"Nats-Msg-Id": "pay-1"})
    not_stored = [c.line for c in d.not_stored]
    assert not_stored == [
        "stream: not stored, answered duplicate (same msg id within the 30s duplicate_window): "
        "2 publishes to dedup.login (a copy of seq 1), dedup.pay (a copy of seq 2)"]
    assert "stream: messages 0 -> 2" in [c.line for c in d]

    lab.add_stream("SEATS", subjects=["seats.>"], max_msgs=2, discard="new")
    lab.publish_many("seats.booked", ["A1", "A2"])
    with pytest.raises(JslabError), lab.diff("SEATS") as d:
        lab.publish("seats.booked", "A3")
    assert [c.line for c in d] == [
        "stream: not stored, refused (maximum messages exceeded [10077]): 1 publish to "
        "seats.booked"]
    # Publishes to other streams inside the block are not this stream's business.
    with lab.diff("SEATS") as d:
        lab.publish("dedup.other", "x")
    assert not d


def test_diff_says_what_was_published_and_removed_again(lab):
    lab.add_stream("TEMPS", subjects=["temps.>"], max_msgs_per_subject=2)
    with lab.diff("TEMPS") as d:
        lab.publish_many([("temps.kitchen", 20), ("temps.attic", 15), ("temps.kitchen", 21),
                          ("temps.kitchen", 22), ("temps.attic", 16), ("temps.attic", 17)])
    assert "stream: published and removed again {1, 2} (max_msgs_per_subject)" in [
        c.line for c in d]
    # The after tape keeps the removed seqs' subjects: hatched in their subject's colour.
    assert dict(d.after.removed_subjects) == {1: "temps.kitchen", 2: "temps.attic"}
    fig = d.tape()
    gaps = [c for ax in fig.axes for c in ax.collections if c.get_gid() == "gaps"]
    edges = {tuple(c.get_edgecolor()[0]) for c in gaps}
    assert len(edges) == 2  # two subjects, two colours (not the grey of "not known")


def test_diff_lists_what_consumers_did(lab):
    lab.add_stream("JOBS", subjects=["jobs.>"])
    lab.publish_many("jobs.x", ["a", "b", "c", "d"])
    lab.add_consumer("JOBS", "w", max_deliver=1)
    batch = lab.fetch("JOBS", "w", 4)
    with lab.diff("JOBS") as d:
        batch[0].ack_sync()
        batch[2].ack_sync()
        batch[3].term()
    found = [c.line for c in d if c.kind == "state"]
    assert found == ["w: now acked: 1", "w: now acked above the ack floor (out of order): 3",
                     "w: now terminated (term): 4"]
