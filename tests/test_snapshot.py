"""collect_snapshot against a real server: the snapshot's numbers are the server's numbers."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from _raw import run, session_of, settle
from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy, StreamConfig

from jslab.collect import collect_snapshot, parse_time
from jslab.errors import JetStreamError, JslabError, StreamNotFoundError
from jslab.snapshot import StreamSnapshot


async def pull(js, stream, durable, *, filter_subject=None, ack_policy=AckPolicy.EXPLICIT):
    await js.add_consumer(stream, ConsumerConfig(
        durable_name=durable, ack_policy=ack_policy, filter_subject=filter_subject, ack_wait=30,
    ))
    return await js.pull_subscribe_bind(durable, stream)


async def publish(js, subject_of, n):
    for i in range(n):
        await js.publish(subject_of(i), f"m{i}".encode())


async def wait_stored(js, stream, n, timeout=20.0):
    """Core publishes are stored asynchronously: wait until the stream holds ``n``."""
    deadline = time.monotonic() + timeout
    while (await js.stream_info(stream)).state.messages < n:
        assert time.monotonic() < deadline, f"{stream} did not reach {n} messages"
        await asyncio.sleep(0.02)


async def assert_matches_server(js, snap: StreamSnapshot) -> None:
    """Every number in ``snap`` equals what nats-py's stream/consumer info says."""
    si = await js.stream_info(snap.name)
    assert (snap.first_seq, snap.last_seq) == (si.state.first_seq, si.state.last_seq)
    assert (snap.messages, snap.bytes) == (si.state.messages, si.state.bytes)
    assert snap.num_deleted == (si.state.num_deleted or 0)
    assert len(snap.consumers) == si.state.consumer_count
    for c in snap.consumers:
        ci = await js.consumer_info(snap.name, c.name)
        assert c.delivered_stream_seq == ci.delivered.stream_seq
        assert c.delivered_consumer_seq == ci.delivered.consumer_seq
        assert c.ack_floor_stream_seq == ci.ack_floor.stream_seq
        assert c.ack_floor_consumer_seq == ci.ack_floor.consumer_seq
        assert c.num_ack_pending == ci.num_ack_pending
        assert c.num_redelivered == ci.num_redelivered
        assert c.num_waiting == ci.num_waiting
        assert c.num_pending == ci.num_pending


def test_parse_time_keeps_microseconds_and_zone():
    t = parse_time("2024-05-01T10:00:00.123456789Z")
    assert (t.microsecond, t.utcoffset().total_seconds()) == (123456, 0)
    assert parse_time("2024-05-01T10:00:00Z").second == 0
    assert parse_time("0001-01-01T00:00:00Z") is None


def test_fetch_without_ack_then_ack_nak_term(nats_server):
    async def scenario(nc, js):
        await js.add_stream(name="FETCH", subjects=["fetch.>"])
        await publish(js, lambda i: f"fetch.{i % 2}", 6)
        sub = await pull(js, "FETCH", "worker")
        msgs = await sub.fetch(4)
        seen = {"worker": {m.metadata.sequence.stream: 1 for m in msgs}}
        s1 = await collect_snapshot(session_of(nc), "FETCH", seen=seen)
        await assert_matches_server(js, s1)

        await msgs[0].ack_sync()  # seq 1
        await settle(nc, msgs[1], b"+TERM")  # seq 2
        await settle(nc, msgs[2], b"-NAK")  # seq 3, redelivered at once
        await nc.flush()
        again = await sub.fetch(1)
        seen = {"worker": {3: again[0].metadata.num_delivered, 4: 1}}
        s2 = await collect_snapshot(session_of(nc), "FETCH", seen=seen)
        await assert_matches_server(js, s2)
        return s1, s2, again[0].metadata.sequence.stream

    s1, s2, redelivered_seq = run(nats_server, scenario)
    c1 = s1.consumer("worker")
    assert (c1.delivered_stream_seq, c1.ack_floor_stream_seq, c1.num_ack_pending) == (4, 0, 4)
    assert c1.unacked == (1, 2, 3, 4) and c1.num_pending == 2
    assert s1.window == (1, 6) and dict(s1.seq_subjects)[5] == "fetch.0"
    assert dict(s1.subject_counts) == {"fetch.0": 3, "fetch.1": 3}

    c2 = s2.consumer("worker")
    assert redelivered_seq == 3
    assert c2.ack_floor_stream_seq == 2  # acked 1, terminated 2
    assert c2.unacked == (3, 4) and dict(c2.redelivered) == {3: 2}
    assert c2.num_ack_pending == 2 and c2.num_redelivered == 1
    assert c2.delivered_consumer_seq == 5  # four deliveries plus one redelivery


def test_ack_all_moves_floor_and_seen_below_it_is_not_unacked(nats_server):
    async def scenario(nc, js):
        await js.add_stream(name="ACKALL", subjects=["ackall"])
        await publish(js, lambda i: "ackall", 5)
        sub = await pull(js, "ACKALL", "all", ack_policy=AckPolicy.ALL)
        msgs = await sub.fetch(4)
        await msgs[2].ack_sync()  # AckAll: 1..3 done
        seen = {"all": {1: 1, 2: 1, 3: 1, 4: 1}}  # the kit never saw 1..3 acked one by one
        snap = await collect_snapshot(session_of(nc), "ACKALL", seen=seen)
        await assert_matches_server(js, snap)
        return snap

    c = run(nats_server, scenario).consumer("all")
    assert c.ack_policy == "all" and c.ack_floor_stream_seq == 3
    assert c.unacked == (4,) and c.num_ack_pending == 1


def test_purge_delete_and_max_msgs(nats_server):
    async def scenario(nc, js):
        await js.add_stream(name="LIMITS", subjects=["lim.*"], max_msgs=5)
        await publish(js, lambda i: f"lim.{'ab'[i % 2]}", 8)
        capped = await collect_snapshot(session_of(nc), "LIMITS")
        await assert_matches_server(js, capped)
        await js.delete_msg("LIMITS", 6)
        deleted = await collect_snapshot(session_of(nc), "LIMITS")
        await assert_matches_server(js, deleted)
        await js.purge_stream("LIMITS")
        purged = await collect_snapshot(session_of(nc), "LIMITS")
        await assert_matches_server(js, purged)
        return capped, deleted, purged

    capped, deleted, purged = run(nats_server, scenario)
    assert (capped.first_seq, capped.last_seq, capped.messages) == (4, 8, 5)
    assert capped.max_msgs == 5 and capped.deleted == ()
    assert deleted.deleted == (6,) and deleted.num_deleted == 1
    assert sorted(deleted.seq_subjects) == [4, 5, 7, 8]
    assert deleted.window == (4, 8)
    assert (purged.messages, purged.first_seq, purged.last_seq) == (0, 9, 8)
    assert purged.window is None and purged.seq_subjects == {}


def test_work_queue_removal_and_no_consumer_created(nats_server):
    async def scenario(nc, js):
        await js.add_stream(StreamConfig(name="WQ", subjects=["wq.>"],
                                         retention=RetentionPolicy.WORK_QUEUE))
        await publish(js, lambda i: "wq.job", 5)
        sub = await pull(js, "WQ", "workers")
        msgs = await sub.fetch(3)
        await msgs[1].ack_sync()  # seq 2 leaves the stream at once
        snap = await collect_snapshot(session_of(nc), "WQ", seen={"workers": {1: 1, 3: 1}})
        await assert_matches_server(js, snap)
        # Loading the window must not have added a consumer (a work queue allows one per subject).
        count = (await js.stream_info("WQ")).state.consumer_count
        return snap, count

    snap, count = run(nats_server, scenario)
    assert count == 1 and [c.name for c in snap.consumers] == ["workers"]
    assert snap.retention == "workqueue"
    assert snap.messages == 4 and snap.deleted == (2,)
    assert 2 not in snap.seq_subjects and sorted(snap.seq_subjects) == [1, 3, 4, 5]
    c = snap.consumer("workers")
    assert c.unacked == (1, 3) and c.num_ack_pending == 2


def test_interest_removal_needs_every_consumer(nats_server):
    async def scenario(nc, js):
        await js.add_stream(StreamConfig(name="INT", subjects=["int.>"],
                                         retention=RetentionPolicy.INTEREST))
        a = await pull(js, "INT", "a")
        b = await pull(js, "INT", "b")
        await publish(js, lambda i: "int.x", 3)
        for m in await a.fetch(3):
            await m.ack_sync()
        one = await collect_snapshot(session_of(nc), "INT")
        await assert_matches_server(js, one)
        for m in await b.fetch(2):
            await m.ack_sync()
        both = await collect_snapshot(session_of(nc), "INT", seen={"b": {}})
        await assert_matches_server(js, both)
        return one, both

    one, both = run(nats_server, scenario)
    assert one.messages == 3  # b has not acked yet
    assert (both.messages, both.first_seq) == (1, 3)
    assert both.consumer("b").ack_floor_stream_seq == 2


def test_filtered_consumers_count_only_their_subjects(nats_server):
    async def scenario(nc, js):
        await js.add_stream(name="FILT", subjects=["orders.*"])
        await publish(js, lambda i: ("orders.new", "orders.paid", "orders.new")[i % 3], 9)
        new = await pull(js, "FILT", "new", filter_subject="orders.new")
        await pull(js, "FILT", "paid", filter_subject="orders.paid")
        msgs = await new.fetch(2)
        await msgs[0].ack_sync()
        snap = await collect_snapshot(session_of(nc), "FILT", seen={"new": {3: 1}})
        await assert_matches_server(js, snap)
        return snap

    snap = run(nats_server, scenario)
    new, paid = snap.consumer("new"), snap.consumer("paid")
    assert new.filter_subjects == ("orders.new",) and paid.filter_label == "orders.paid"
    # The floor sits just below the next unacked seq (3), on a seq outside the filter.
    assert (new.ack_floor_stream_seq, new.delivered_stream_seq, new.num_pending) == (2, 3, 4)
    assert new.unacked == (3,)
    assert paid.num_pending == 3 and paid.delivered_stream_seq == 0
    assert dict(snap.subject_counts) == {"orders.new": 6, "orders.paid": 3}


def test_window_choices_and_msg_get_path(nats_server):
    async def scenario(nc, js):
        await js.add_stream(name="NODIRECT", subjects=["nd.>"], allow_direct=False)
        await js.add_stream(name="DIRECT", subjects=["d.>"], allow_direct=True)
        for stream, prefix in (("NODIRECT", "nd"), ("DIRECT", "d")):
            await publish(js, lambda i, p=prefix: f"{p}.{i}", 30)
            await js.delete_msg(stream, 10)
        out = {}
        for stream in ("NODIRECT", "DIRECT"):
            out[stream] = (
                await collect_snapshot(session_of(nc), stream),
                await collect_snapshot(session_of(nc), stream, window=(5, 12)),
                await collect_snapshot(session_of(nc), stream, window=(0, 100), detail_limit=4),
                await collect_snapshot(session_of(nc), stream, detail_limit=10),
                await collect_snapshot(session_of(nc), stream, window=None),
            )
        return out

    for stream, prefix in (("NODIRECT", "nd"), ("DIRECT", "d")):
        auto, ranged, clipped, too_big, none = run_cache(nats_server, scenario)[stream]
        assert auto.window == (1, 30) and len(auto.seq_subjects) == 29
        assert auto.seq_subjects[30] == f"{prefix}.29" and 10 not in auto.seq_subjects
        assert ranged.window == (5, 12) and sorted(ranged.seq_subjects) == [5, 6, 7, 8, 9, 11, 12]
        assert clipped.window == (1, 4) and len(clipped.seq_subjects) == 4
        if stream == "DIRECT":  # too long to load whole: its tail, in one batched direct get
            assert too_big.window == (21, 30) and sorted(too_big.seq_subjects) == list(
                range(21, 31))
        else:  # never one request per message
            assert too_big.window is None and too_big.seq_subjects == {}
        assert none.window is None and none.seq_subjects == {}
        assert auto.deleted == (10,)


_cache: dict = {}


def run_cache(server, scenario):
    """Run ``scenario`` once per test, however many times the assertions ask for its result."""
    key = (id(server), scenario.__code__)
    if key not in _cache:
        _cache[key] = run(server, scenario)
    return _cache[key]


def test_user_status_header_does_not_end_a_direct_get_batch(nats_server):
    async def scenario(nc, js):
        await js.add_stream(name="HDR", subjects=["hdr"], allow_direct=True)
        for i in range(4):
            await js.publish("hdr", b"", headers={"Status": "204", "Description": "EOB"}
                             if i == 1 else None)
        return await collect_snapshot(session_of(nc), "HDR")

    assert sorted(run(nats_server, scenario).seq_subjects) == [1, 2, 3, 4]


def test_bad_window_is_explained(nats_server):
    async def scenario(nc, js):
        await js.add_stream(name="BADWIN", subjects=["badwin"])
        await js.publish("badwin", b"")
        with pytest.raises(JslabError, match="window="):
            await collect_snapshot(session_of(nc), "BADWIN", window="all")

    run(nats_server, scenario)


def test_unknown_stream_raises_jetstream_error(nats_server):
    async def scenario(nc, js):
        with pytest.raises(StreamNotFoundError) as info:
            await collect_snapshot(session_of(nc), "NO_SUCH_STREAM")
        return info.value

    err = run(nats_server, scenario)
    assert isinstance(err, JetStreamError) and err.err_code == 10059
    assert "NO_SUCH_STREAM" in str(err)


def test_many_subjects_are_all_counted(nats_server):
    async def scenario(nc, js):
        await js.add_stream(name="MANY", subjects=["many.>"])
        for i in range(300):
            await nc.publish(f"many.{i}", b"")
        await nc.flush()
        await wait_stored(js, "MANY", 300)
        return await collect_snapshot(session_of(nc), "MANY", window=None)

    snap = run(nats_server, scenario)
    assert len(snap.subject_counts) == 300 and sum(snap.subject_counts.values()) == 300


@pytest.mark.slow
def test_100k_messages_10_consumers_snapshot_is_fast(nats_server):
    n = 100_000

    async def scenario(nc, js):
        await js.add_stream(name="BIG", subjects=["big.*"])
        payload = b"x" * 16
        for i in range(n):
            # Pipelined: acks are collected at the end (a bounded number stay in flight, so
            # the server is never flooded and drops none).
            await js.publish_async(f"big.{i % 5}", payload)
        await js.publish_async_completed()
        await wait_stored(js, "BIG", n)
        for k in range(10):
            await js.add_consumer("BIG", ConsumerConfig(durable_name=f"c{k}",
                                                        filter_subject=f"big.{k % 5}"))
        await js.delete_msg("BIG", 50_000)
        t0 = time.perf_counter()
        snap = await collect_snapshot(session_of(nc), "BIG")
        elapsed = time.perf_counter() - t0
        t0 = time.perf_counter()
        windowed = await collect_snapshot(session_of(nc), "BIG", window=(49_001, 51_000))
        windowed_elapsed = time.perf_counter() - t0
        await assert_matches_server(js, snap)
        raw = await nc.request("$JS.API.STREAM.INFO.BIG", json.dumps({}).encode())
        return snap, elapsed, windowed, windowed_elapsed, json.loads(raw.data)

    snap, elapsed, windowed, windowed_elapsed, raw = run(nats_server, scenario)
    assert snap.messages == n - 1 == raw["state"]["messages"]
    assert snap.window is None and snap.seq_subjects == {}  # too wide: no per-message calls
    assert len(snap.consumers) == 10 and snap.deleted == (50_000,)
    assert elapsed < 0.5, f"snapshot of {n:,} messages took {elapsed:.3f} s"
    assert windowed.window == (49_001, 51_000) and len(windowed.seq_subjects) == 1999
    assert windowed_elapsed < 1.0, f"2,000-seq window took {windowed_elapsed:.3f} s"
