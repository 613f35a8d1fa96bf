"""The synchronous Lab facade against a real bundled nats-server."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import jslab
from jslab import errors
from jslab.lab import Lab


def _state(lab: Lab) -> dict:
    """Everything a bad call must leave unchanged."""
    out = {}
    for name in lab.stream_names():
        info = lab.stream_info(name)
        out[name] = (
            info.config.subjects, info.state.messages, info.state.last_seq,
            tuple(lab.consumer_names(name)),
        )
    return out


# ---------------------------------------------------------------- lifecycle
def test_start_returns_a_working_lab_and_restart_closes_the_previous():
    first = jslab.start()
    srv = first.server
    assert first.connected and srv.running
    assert first.server_version.startswith("2.")
    second = jslab.start()
    try:
        assert first.closed and not srv.running
        with pytest.raises(errors.ClosedError, match=r"jslab\.start"):
            first.stream_names()
        assert second.stream_names() == []
    finally:
        second.close()
        second.close()  # idempotent
    assert not second.server.running


def test_context_manager_closes(nats_server):
    with Lab(nats_server.url) as lab:
        assert lab.connected
    assert lab.closed


def test_connect_to_an_unreachable_server_says_what_to_do():
    with pytest.raises(errors.NotConnectedError, match="could not connect"):
        jslab.connect("nats://127.0.0.1:1", timeout=1)


def test_supports_is_gated_by_version(lab):
    assert lab.supports("msg_ttl") is (lab.version >= (2, 11, 0))
    with pytest.raises(errors.ValidationError, match="unknown feature"):
        lab.supports("teleportation")


# ---------------------------------------------------------------- streams
def test_stream_lifecycle_and_purges(lab):
    info = lab.add_stream("ORDERS", subjects=["orders.>"], max_msgs=100)
    assert info.config.max_msgs == 100
    assert lab.stream_names() == ["ORDERS"]
    lab.publish_many([("orders.eu", i) for i in range(5)] + [("orders.us", i) for i in range(5)])
    assert lab.purge_stream("ORDERS", subject="orders.us", keep=2) == 3
    assert lab.purge_stream("ORDERS", seq=3) == 2
    assert lab.stream_info("ORDERS").state.first_seq == 3
    assert lab.purge_stream("ORDERS") == 5
    assert lab.update_stream("ORDERS", max_msgs=10).config.max_msgs == 10
    assert lab.update_stream("ORDERS", max_msgs=10).config.subjects == ["orders.>"]
    assert lab.delete_stream("ORDERS")
    assert lab.stream_names() == []


def test_subjects_default_to_the_stream_name(lab):
    assert lab.add_stream("events").config.subjects in (None, ["events"])
    assert lab.publish("events", b"x").stream == "events"


def test_messages_get_last_and_delete(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"])
    lab.publish("orders.eu", {"id": 1}, headers={"Trace": "t1"})
    lab.publish("orders.us", "plain text")
    lab.publish("orders.eu", b"\x00\x01")
    m = lab.get_msg("ORDERS", 1)
    assert (m.seq, m.subject, m.data, m.headers["Trace"]) == (1, "orders.eu", {"id": 1}, "t1")
    assert lab.get_msg("ORDERS", 2).data == "plain text"
    assert lab.get_last_msg("ORDERS", "orders.eu").data == b"\x00\x01"
    assert lab.get_msg("ORDERS", 2, subject="orders.eu", next=True).seq == 3
    assert lab.delete_msg("ORDERS", 2)
    with pytest.raises(errors.JetStreamError) as e:
        lab.get_msg("ORDERS", 2)
    assert e.value.err_code == 10037
    info = lab.stream_info("ORDERS")
    assert (info.state.messages, info.state.num_deleted) == (2, 1)


# ---------------------------------------------------------------- publishing
def test_publish_options(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"], duplicate_window=60)
    a = lab.publish("orders.new", {"id": 1}, msg_id="o-1")
    b = lab.publish("orders.new", {"id": 1}, msg_id="o-1")
    assert (a.seq, b.seq, b.duplicate) == (1, 1, True)
    assert lab.publish("orders.new", "x", expected_last_seq=1).seq == 2
    with pytest.raises(errors.WrongLastSequenceError) as e:
        lab.publish("orders.new", "x", expected_last_seq=1)
    assert e.value.err_code == 10071 and e.value.hint
    assert lab.publish("orders.new", "y", expected_last_subject_seq=2).seq == 3
    with pytest.raises(errors.ExpectedStreamMismatchError):
        lab.publish("orders.new", "z", expected_stream="OTHER")
    assert lab.stream_info("ORDERS").state.messages == 3


def test_publish_many_pipelined_and_counts_duplicates(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"])
    r = lab.publish_many("orders.new", [{"n": i} for i in range(2000)])
    assert (r.count, r.stream, r.first_seq, r.last_seq) == (2000, "ORDERS", 1, 2000)
    r2 = lab.publish_many([("orders.a", "x", {"Nats-Msg-Id": "same"})] * 3)
    assert (r2.count, r2.duplicates) == (3, 2)
    assert repr(r) == "<PublishResult 2000 messages to ORDERS (seq 1..2000)>"


def test_msg_ttl_is_gated_and_works(lab):
    if not lab.supports("msg_ttl"):
        pytest.skip("server older than 2.11 has no per-message TTL")
    lab.add_stream("T", subjects=["t.>"], allow_msg_ttl=True)
    lab.publish("t.a", b"x", ttl=1)
    assert lab.stream_info("T").state.messages == 1
    deadline = time.monotonic() + 5
    while lab.stream_info("T").state.messages and time.monotonic() < deadline:
        time.sleep(0.1)
    assert lab.stream_info("T").state.messages == 0


def test_core_publish_and_request_reply(lab):
    sub = lab.subscribe_core("sensors.>")
    lab.publish_core("sensors.t1", {"c": 21})
    got = sub.next(timeout=2)
    assert got.subject == "sensors.t1" and got.data == {"c": 21}
    responder = lab.respond("svc.double", lambda x: x * 2)
    assert lab.request("svc.double", 21, timeout=2).data == 42
    responder.unsubscribe()
    sub.unsubscribe()


# ---------------------------------------------------------------- consumers
def test_fetch_empty_is_an_empty_batch_not_an_exception(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"])
    lab.add_consumer("ORDERS", "c")
    t0 = time.monotonic()
    batch = lab.fetch("ORDERS", "c", 5, wait=0.3)
    assert len(batch) == 0 and 0.25 < time.monotonic() - t0 < 2
    assert lab.fetch("ORDERS", "c", 5, wait=0) == []


def test_fetch_returns_what_is_there_without_waiting_for_a_full_batch(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"])
    lab.add_consumer("ORDERS", "c")
    lab.publish_many("orders.x", range(3))
    t0 = time.monotonic()
    batch = lab.fetch("ORDERS", "c", 10, wait=5)
    assert batch.seqs == [1, 2, 3]
    assert time.monotonic() - t0 < 1


def test_fetch_waits_for_the_first_message(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"])
    lab.add_consumer("ORDERS", "c")
    threading.Timer(0.3, lambda: lab.publish("orders.late", "x")).start()
    batch = lab.fetch("ORDERS", "c", 10, wait=3)
    assert batch.data == ["x"]


def test_acks_nak_term_in_progress(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"])
    lab.add_consumer("ORDERS", "c", ack_wait=5)
    lab.publish_many("orders.x", range(4))
    b = lab.fetch("ORDERS", "c", 4)
    b[0].ack_sync()
    b[1].nak()
    b[2].term()
    b[3].in_progress()
    b[3].ack()
    with pytest.raises(errors.ValidationError, match="already answered"):
        b[0].ack()
    again = lab.fetch("ORDERS", "c", 4)
    assert again.seqs == [2] and again[0].num_delivered == 2
    again.ack_sync()
    info = lab.consumer_info("ORDERS", "c")
    assert (info.num_ack_pending, info.ack_floor.stream_seq) == (0, 4)


def test_nak_with_delay_redelivers_later(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"])
    lab.add_consumer("ORDERS", "c")
    lab.publish("orders.x", "x")
    lab.fetch("ORDERS", "c")[0].nak(delay=0.5)
    assert lab.fetch("ORDERS", "c", wait=0.1) == []
    assert lab.fetch("ORDERS", "c", wait=2).seqs == [1]


def test_fetch_and_ack_batch(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"])
    lab.add_consumer("ORDERS", "c")
    lab.publish_many("orders.x", range(250))
    got = lab.fetch_and_ack("ORDERS", "c", 100)
    assert len(got) == 100 and all(m.acked for m in got)
    got = lab.fetch_and_ack("ORDERS", "c", 500, sync=True)
    assert len(got) == 150
    info = lab.consumer_info("ORDERS", "c")
    assert (info.num_ack_pending, info.ack_floor.stream_seq, info.num_pending) == (0, 250, 0)


def test_ephemeral_named_and_durable_consumers(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"])
    eph = lab.add_consumer("ORDERS")
    assert eph.config.durable_name is None and eph.name
    named = lab.add_consumer("ORDERS", name="short", inactive_threshold=0.5)
    assert named.config.inactive_threshold == pytest.approx(0.5)
    lab.add_consumer("ORDERS", "keep")
    deadline = time.monotonic() + 6
    while "short" in lab.consumer_names("ORDERS") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "short" not in lab.consumer_names("ORDERS")
    assert "keep" in lab.consumer_names("ORDERS")
    assert lab.delete_consumer("ORDERS", "keep")


def test_push_subscription_and_ordered(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"])
    lab.publish_many("orders.x", range(3))
    sub = lab.subscribe("orders.>", durable="push1")
    msgs = [sub.next(timeout=2) for _ in range(3)]
    assert [m.seq for m in msgs] == [1, 2, 3]
    for m in msgs:
        m.ack()
    ordered = lab.subscribe("orders.>", ordered=True)
    got = ordered.fetch(10, timeout=2)
    deadline = time.monotonic() + 2
    while len(got) < 3 and time.monotonic() < deadline:
        got += ordered.fetch(10, timeout=0.2)
    assert [m.seq for m in got] == [1, 2, 3]
    sub.unsubscribe()
    ordered.unsubscribe()


def test_kv_and_object_store(lab):
    kv = lab.create_kv("config", history=3)
    assert kv.put("color", "blue") == 1
    assert kv.put("color", {"v": 2}) == 2
    assert kv.get("color").data == {"v": 2}
    assert kv.update("color", "red", last=2) == 3
    with pytest.raises(errors.WrongLastSequenceError):
        kv.update("color", "green", last=2)
    assert [e.revision for e in kv.history("color")] == [1, 2, 3]
    kv.delete("color")
    assert kv.get("color") is None
    assert kv.stream == "KV_config" and "KV_config" in lab.stream_names()
    obs = lab.create_object_store("files")
    obs.put("a.txt", b"x" * 300_000, chunk_size=128 * 1024)
    assert obs.get("a.txt") == b"x" * 300_000
    assert obs.info("a.txt").chunks == 3
    assert [i.name for i in obs.list()] == ["a.txt"]


def test_kv_reads_are_exact_and_leave_no_consumer(lab):
    kv = lab.create_kv("config", history=5)
    assert kv.keys() == [] and lab.create_object_store("empty").list() == []
    with pytest.raises(errors.MessageNotFoundError):
        kv.history("nothing")
    for i in range(200):  # many keys: one read, counted by the server when it began
        kv.put(f"k{i:03}", i)
    kv.put("k000", "again")
    kv.delete("k001")
    kv.purge("k002")
    keys = kv.keys()
    assert len(keys) == 198 and "k001" not in keys and "k002" not in keys
    history = kv.history("k000")
    assert [(e.revision, e.operation, e.data) for e in history] == [(1, "PUT", 0),
                                                                    (201, "PUT", "again")]
    assert [e.operation for e in kv.history("k001")] == ["PUT", "DEL"]
    assert [e.operation for e in kv.history("k002")] == ["PURGE"]
    w = kv.watch(">")
    assert len(lab.consumer_names("KV_config")) == 1  # the watch's, while it runs
    w.stop()
    assert lab.consumer_names("KV_config") == []


def test_raw_api(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"])
    info = lab.api("STREAM.INFO.ORDERS")
    assert info["config"]["name"] == "ORDERS"
    with pytest.raises(errors.StreamNotFoundError) as e:
        lab.api("$JS.API.STREAM.INFO.NOPE")
    assert e.value.err_code == 10059 and "Hint" in str(e.value)


def test_awaitable_escape_hatch(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"])

    async def cell():
        ack = await lab.aio.publish("orders.a", "x")
        info = await lab.aio.run(lab.js.stream_info("ORDERS"))
        return ack.seq, info.state.messages

    assert asyncio.run(cell()) == (1, 1)


def test_snapshot_flushes_plain_acks_first(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"])
    lab.add_consumer("ORDERS", "c")
    lab.publish_many("orders.x", range(5))
    batch = lab.fetch("ORDERS", "c", 5)
    for m in batch[:3]:
        m.ack()
    snap = lab.snapshot("ORDERS")
    c = snap.consumer("c")
    assert (c.ack_floor_stream_seq, c.num_ack_pending, c.unacked) == (3, 2, (4, 5))


def test_diff_block(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"])
    lab.add_consumer("ORDERS", "c")
    lab.publish_many("orders.x", range(5))
    with lab.diff("ORDERS") as d:
        lab.fetch("ORDERS", "c", 2).ack_sync()
    assert any("ack floor 0 -> 2" in str(ch) for ch in d.changes)


# ---------------------------------------------------------------- bad input changes nothing
BAD_STREAM_NAMES = ["my orders", "orders.eu", "ORD*", "ORD>", "", 42]


@pytest.mark.parametrize("name", BAD_STREAM_NAMES)
def test_bad_stream_names_are_rejected_before_any_request(lab, name):
    lab.add_stream("KEEP", subjects=["keep.>"])
    before = _state(lab)
    with pytest.raises((errors.ValidationError, errors.JslabTypeError)) as e:
        lab.add_stream(name, subjects=["x.>"])
    assert len(str(e.value)) > 40
    assert _state(lab) == before


@pytest.mark.parametrize(
    ("kwargs", "kind", "fragment"),
    [
        ({"subjects": ["orders..eu"]}, errors.ValidationError, "empty"),
        ({"subjects": ["orders.>.eu"]}, errors.ValidationError, ">"),
        ({"subjects": ["a b"]}, errors.ValidationError, "space"),
        ({"max_msgs": -5}, errors.ValidationError, "-1 for unlimited"),
        ({"max_msgs": "10"}, errors.JslabTypeError, "integer"),
        ({"max_age": -1}, errors.ValidationError, "negative"),
        ({"retention": "forever"}, errors.ValidationError, "workqueue"),
        ({"discard_new_per_subject": True}, errors.ValidationError, "discard='new'"),
        ({"max_msg": 5}, errors.ValidationError, "max_msgs"),
    ],
)
def test_bad_stream_config_is_rejected_and_changes_nothing(lab, kwargs, kind, fragment):
    lab.add_stream("KEEP", subjects=["keep.>"])
    before = _state(lab)
    kwargs = {"subjects": ["new.>"], **kwargs}
    with pytest.raises(kind, match=None) as e:
        lab.add_stream("NEW", **kwargs)
    assert fragment in str(e.value)
    assert _state(lab) == before


def test_server_side_rejections_change_nothing(lab):
    lab.add_stream("KEEP", subjects=["keep.>"], max_age=1)
    before = _state(lab)
    with pytest.raises(errors.SubjectsOverlapError) as e:
        lab.add_stream("OTHER", subjects=["keep.a"])
    assert "KEEP" in e.value.hint  # names the stream that owns the subjects
    with pytest.raises(errors.StreamConfigInvalidError):
        lab.add_stream("DUP", subjects=["dup.>"], max_age=1, duplicate_window=10)
    with pytest.raises(errors.StreamNotFoundError):
        lab.add_consumer("MISSING", "c")
    assert _state(lab) == before


def test_bad_payloads_and_publish_targets(lab):
    lab.add_stream("KEEP", subjects=["keep.>"])
    before = _state(lab)
    with pytest.raises(errors.JslabTypeError, match="JSON-serialisable"):
        lab.publish("keep.a", object())
    with pytest.raises(errors.JslabTypeError, match="JSON-serialisable"):
        lab.publish_many("keep.a", [1, 2, {1, 2}])
    with pytest.raises(errors.ValidationError):
        lab.publish("keep.*", "x")
    with pytest.raises(errors.JslabTypeError):
        lab.publish("keep.a", "x", headers={"A": ["list"]})
    with pytest.raises(errors.NoStreamForSubjectError, match=r"No stream captures .nowhere\.x."):
        lab.publish("nowhere.x", "x")
    assert _state(lab) == before


def test_consumer_errors(lab):
    lab.add_stream("KEEP", subjects=["keep.>"])
    lab.add_consumer("KEEP", "c")
    before = _state(lab)
    with pytest.raises(errors.ConsumerNotFoundError):
        lab.fetch("KEEP", "missing", 1)
    with pytest.raises(errors.StreamNotFoundError):
        lab.fetch("NOPE", "c", 1)
    with pytest.raises(errors.ValidationError, match="mutually exclusive"):
        lab.add_consumer("KEEP", "f", filter_subject="keep.a", filter_subjects=["keep.b"])
    with pytest.raises(errors.ValidationError):
        lab.fetch("KEEP", "c", 0)
    with pytest.raises(errors.ValidationError, match="backoff"):
        lab.add_consumer("KEEP", "b", backoff=[1, -2])
    with pytest.raises(errors.MaxDeliverBackoffError):
        lab.add_consumer("KEEP", "b", backoff=[1, 2, 3], max_deliver=2)
    assert _state(lab) == before


def test_fetch_on_a_deleted_consumer(lab):
    lab.add_stream("KEEP", subjects=["keep.>"])
    lab.add_consumer("KEEP", "c")
    assert lab.fetch("KEEP", "c", 1, wait=0) == []
    lab.delete_consumer("KEEP", "c")
    with pytest.raises(errors.ConsumerNotFoundError) as e:
        lab.fetch("KEEP", "c", 1, wait=0)
    assert e.value.err_code == 10014


def test_work_queue_rules(lab):
    lab.add_stream("JOBS", subjects=["jobs.>"], retention="workqueue")
    lab.add_consumer("JOBS", "all")
    with pytest.raises(errors.WorkQueueMultipleUnfilteredError) as e:
        lab.add_consumer("JOBS", "second")
    assert e.value.err_code == 10099
    assert lab.consumer_names("JOBS") == ["all"]


# ---------------------------------------------------------------- server failures
def test_server_killed_mid_call_gives_a_clear_error_then_recovers(tmp_path):
    from jslab.server import LocalServer

    srv = LocalServer(tmp_path / "store").start()
    lab = Lab(srv.url, timeout=1)
    try:
        lab.add_stream("ORDERS", subjects=["orders.>"])
        lab.publish("orders.a", "before")
        srv.kill()
        with pytest.raises((errors.NotConnectedError, errors.JslabTimeoutError)) as e:
            lab.publish("orders.a", "during")
        assert "server" in str(e.value)
        srv.start()
        deadline = time.monotonic() + 10
        while not lab.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert lab.connected
        assert lab.publish("orders.a", "after").seq >= 2
        assert lab.stream_info("ORDERS").state.messages >= 2
    finally:
        lab.close()
        srv.close()


def test_core_messages_can_be_answered(lab):
    sub = lab.subscribe_core("ask.>")
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        answer = pool.submit(lab.request, "ask.time", "what time?", timeout=3)
        question = sub.next(timeout=2)
        assert question.data == "what time?" and question.reply
        question.respond({"t": 42})
        assert answer.result().data == {"t": 42}
    sub.unsubscribe()


def test_threads_share_one_pull_consumer_concurrently(lab):
    import concurrent.futures

    lab.add_stream("WORK", subjects=["work.>"])
    lab.add_consumer("WORK", "workers")
    lab.publish_many("work.item", range(300))

    def worker() -> list[int]:
        got = []
        while batch := lab.fetch("WORK", "workers", 7, wait=0.3):
            batch.ack_sync()
            got += batch.seqs
        return got

    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        results = [f.result() for f in [pool.submit(worker) for _ in range(3)]]
    seqs = sorted(s for r in results for s in r)
    assert seqs == list(range(1, 301))  # each message exactly once
    assert all(results), "every worker got a share"


def test_fetch_on_a_push_consumer_says_how_to_read_it(lab):
    lab.add_stream("KEEP", subjects=["keep.>"])
    lab.add_consumer("KEEP", "pushy", deliver_subject="deliver.here")
    with pytest.raises(errors.JetStreamError) as e:
        lab.fetch("KEEP", "pushy", 1, wait=0.2)
    assert e.value.status == 409 and "lab.subscribe" in e.value.hint


def test_compression_on_a_memory_stream_is_refused(lab):
    with pytest.raises(errors.ValidationError, match="file storage only"):
        lab.add_stream("MEM", subjects=["mem.>"], storage="memory", compression="s2")
    assert lab.stream_names() == []
    assert lab.add_stream("FILE", subjects=["file.>"], compression="s2").config.compression


def test_plain_acks_are_settled_before_info_and_snapshots(lab):
    # The server processes acks on its own queue; reads right after plain acks must see them.
    lab.add_stream("ORDERS", subjects=["orders.>"])
    lab.add_stream("JOBS", subjects=["jobs.>"], retention="workqueue")
    for round_ in range(20):
        name = f"c{round_}"
        lab.add_consumer("ORDERS", name)
        for m in lab.fetch("ORDERS", name, 5):
            m.ack()
        lab.publish_many("orders.x", range(5))
        assert lab.consumer_info("ORDERS", name).num_ack_pending == 0
    lab.add_consumer("JOBS", "w")
    lab.publish_many("jobs.x", range(3))
    for m in lab.fetch("JOBS", "w", 3):
        m.ack()
    assert lab.stream_info("JOBS").state.messages == 0
    lab.publish_many("jobs.x", range(2))
    lab.fetch_and_ack("JOBS", "w", 10)
    assert lab.snapshot("JOBS").messages == 0


def test_publish_many_stops_at_a_subject_no_stream_captures(lab):
    lab.add_stream("KEEP", subjects=["keep.>"])
    with pytest.raises(errors.NoStreamForSubjectError) as e:
        lab.publish_many([("keep.a", 1), ("nowhere.x", 2), ("keep.b", 3)])
    assert "'nowhere.x'" in e.value.hint
    assert "2 of 3 messages stored" in str(e.value)
    assert lab.stream_info("KEEP").state.messages == 2  # the others were published and kept


def test_opening_a_missing_bucket_says_how_to_create_it(lab):
    with pytest.raises(errors.StreamNotFoundError, match="create_kv"):
        lab.kv("nope")
    with pytest.raises(errors.StreamNotFoundError, match="create_object_store"):
        lab.object_store("nope")
    assert lab.stream_names() == []


def test_settings_an_older_server_would_drop_are_refused_first(lab):
    for setting, feature in (("allow_msg_counter", "counters"), ("allow_atomic", "atomic_batch"),
                             ("allow_msg_schedules", "msg_schedules")):
        if lab.supports(feature):
            assert getattr(lab.add_stream(f"S_{feature}", [f"{feature}.>"],
                                          **{setting: True}).config, setting) is True
            continue
        with pytest.raises(errors.ValidationError, match=f"{setting}: .* needs nats-server"):
            lab.add_stream(f"S_{feature}", [f"{feature}.>"], **{setting: True})
        assert f"S_{feature}" not in lab.stream_names()
