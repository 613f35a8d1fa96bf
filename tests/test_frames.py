"""messages_frame / streams_frame / consumers_frame against a real bundled server."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pandas as pd
import pytest

import jslab
from jslab.errors import StreamNotFoundError, ValidationError
from jslab.frames import (
    CONSUMER_COLUMNS,
    MESSAGE_COLUMNS,
    STREAM_COLUMNS,
    consumers_frame,
    messages_frame,
    streams_frame,
)


@pytest.fixture(scope="module")
def lab():
    lab = jslab.start()
    yield lab
    lab.close()


def _fill(lab, stream: str, subject: str, n: int) -> None:
    """Many small messages fast and all stored: pipelined publishes, each acknowledged.

    Core publishes would be faster to send, but a server may drop them under load (2.11 does),
    and then the stream never holds what the test reads.
    """
    result = lab.publish_many(subject, (b'{"id": %d}' % i for i in range(n)), progress=False)
    assert result.count == n
    assert lab.api(f"STREAM.INFO.{stream}")["state"]["messages"] == n


def test_content_and_dtypes(lab):
    lab.add_stream("CONTENT", subjects=["content.>"])
    lab.publish("content.json", {"id": 1, "items": [1, 2]})
    lab.publish("content.text", "hello", headers={"Trace-Id": "abc"})
    lab.publish("content.bin", b"\xff\x00\x01")
    lab.publish("content.empty", b"")
    df = messages_frame(lab.session, "CONTENT")
    assert list(df.columns) == list(MESSAGE_COLUMNS)
    assert df.attrs["method"] == "consumer"
    assert df["seq"].tolist() == [1, 2, 3, 4]
    assert df["subject"].tolist() == ["content.json", "content.text", "content.bin",
                                      "content.empty"]
    assert df["data"].tolist() == [{"id": 1, "items": [1, 2]}, "hello", b"\xff\x00\x01", b""]
    assert df["size"].tolist() == [len(b'{"id": 1, "items": [1, 2]}'), 5, 3, 0]
    assert df["headers"].tolist() == [None, {"Trace-Id": "abc"}, None, None]
    assert str(df["seq"].dtype) == "int64" and str(df["size"].dtype) == "int64"
    assert str(df["time"].dtype) == "datetime64[ns, UTC]"
    now = pd.Timestamp.now(tz="UTC")
    assert ((now - df["time"]) < pd.Timedelta(seconds=60)).all()
    assert df["time"].is_monotonic_increasing
    # No consumer left behind.
    assert lab.api("STREAM.INFO.CONTENT")["state"]["consumer_count"] == 0


def test_filters_start_limit(lab):
    lab.add_stream("FILTER", subjects=["filter.>"])
    for i in range(10):
        lab.publish(f"filter.{'eu' if i % 2 else 'us'}", {"i": i})
    eu = messages_frame(lab.session, "FILTER", subject="filter.eu")
    assert eu["seq"].tolist() == [2, 4, 6, 8, 10]
    assert messages_frame(lab.session, "FILTER", start=7)["seq"].tolist() == [7, 8, 9, 10]
    assert messages_frame(lab.session, "FILTER", limit=3)["seq"].tolist() == [1, 2, 3]
    assert messages_frame(lab.session, "FILTER", subject="filter.us", start=4, limit=2)[
        "seq"].tolist() == [5, 7]
    time.sleep(0.05)
    cut = dt.datetime.now(dt.timezone.utc)
    lab.publish("filter.eu", {"i": 10})
    assert messages_frame(lab.session, "FILTER", start=cut)["seq"].tolist() == [11]
    empty = messages_frame(lab.session, "FILTER", limit=0)
    assert len(empty) == 0 and list(empty.columns) == list(MESSAGE_COLUMNS)


def test_bad_arguments(lab):
    with pytest.raises(ValidationError):
        messages_frame(lab.session, "FILTER", start=0)
    with pytest.raises(ValidationError):
        messages_frame(lab.session, "FILTER", limit=-1)
    with pytest.raises(StreamNotFoundError):
        messages_frame(lab.session, "NOPE")


@pytest.mark.parametrize("retention,direct,method", [
    ("workqueue", False, "msg_get"),
    ("workqueue", True, "direct_get"),
    ("interest", False, "msg_get"),
])
def test_work_queue_and_interest_streams_unchanged(lab, retention, direct, method):
    name = f"KEEP_{retention.upper()}_{int(direct)}"
    subj = name.lower()
    lab.add_stream(name, subjects=[f"{subj}.>"], retention=retention, allow_direct=direct)
    lab.add_consumer(name, "worker", filter_subject=f"{subj}.a")
    for i in range(30):
        lab.publish(f"{subj}.{'a' if i % 3 else 'b'}", {"i": i}, headers={"N": str(i)})
    lab.fetch(name, "worker", 5).ack_sync()
    before = lab.api(f"STREAM.INFO.{name}")["state"]
    df = messages_frame(lab.session, name)
    assert df.attrs["method"] == method
    after = lab.api(f"STREAM.INFO.{name}")["state"]
    keys = ("messages", "consumer_count", "first_seq", "last_seq", "num_deleted")
    assert [after.get(k) for k in keys] == [before.get(k) for k in keys]
    assert len(df) == before["messages"]
    assert df["headers"].map(lambda h: set(h)).eq({"N"}).all()  # get's own headers stripped
    only_b = messages_frame(lab.session, name, subject=f"{subj}.b")
    assert only_b["seq"].tolist() == df[df["subject"] == f"{subj}.b"]["seq"].tolist()
    if retention == "workqueue":  # an interest stream keeps only what some consumer wants
        assert only_b["seq"].tolist() == [s for s in range(1, 31) if (s - 1) % 3 == 0]
    assert lab.consumer_names(name) == ["worker"]


@pytest.mark.slow
def test_read_rate_100k(lab):
    lab.add_stream("BIG", subjects=["big.>"])
    n = 100_000
    _fill(lab, "BIG", "big.x", n)
    t0 = time.perf_counter()
    df = messages_frame(lab.session, "BIG")
    rate = n / (time.perf_counter() - t0)
    print(f"\nmessages_frame: {rate:,.0f} msgs/s for {n:,} messages ({df.attrs['method']})")
    assert len(df) == n and df["seq"].is_monotonic_increasing
    assert df["data"].iloc[-1] == {"id": n - 1}
    assert rate >= 20_000


def test_interrupt_leaves_no_consumer(lab):
    lab.add_stream("INTR", subjects=["intr.>"])
    _fill(lab, "INTR", "intr.x", 60_000)
    from jslab import frames

    calls = {"n": 0}
    real = frames.Progress.update

    def interrupt(self, done):
        calls["n"] += 1
        raise KeyboardInterrupt

    frames.Progress.update = interrupt
    try:
        with pytest.raises(KeyboardInterrupt):
            messages_frame(lab.session, "INTR")
    finally:
        frames.Progress.update = real
    assert calls["n"] == 1
    assert lab.api("STREAM.INFO.INTR")["state"]["consumer_count"] == 0
    assert len(messages_frame(lab.session, "INTR", limit=10)) == 10  # the lab still works


def test_streams_and_consumers_frames(lab):
    lab.add_stream("ZLIM", subjects=["zlim.>"], max_msgs=1000, max_age=3600, storage="memory")
    lab.publish("zlim.a", "x")
    lab.add_consumer("ZLIM", "b-push", deliver_subject="push.zlim", filter_subject="zlim.a")
    lab.add_consumer("ZLIM", "a-pull")
    lab.fetch("ZLIM", "a-pull", 1)
    df = streams_frame(lab.session)
    assert list(df.columns) == list(STREAM_COLUMNS)
    assert df["name"].tolist() == sorted(df["name"])
    row = df.set_index("name").loc["ZLIM"]
    assert (row["subjects"], row["retention"], row["storage"], row["messages"],
            row["first_seq"], row["last_seq"], row["consumers"]) == \
        ("zlim.>", "limits", "memory", 1, 1, 1, 2)
    assert row["limits"] == "max_msgs=1,000 max_age=1h"
    assert not any(str(t).startswith("datetime") for t in df.dtypes)

    cf = consumers_frame(lab.session, "ZLIM")
    assert list(cf.columns) == list(CONSUMER_COLUMNS)
    assert cf["name"].tolist() == ["a-pull", "b-push"]
    a, b = (r for _, r in cf.iterrows())
    assert (a["type"], a["filter"], a["delivered"], a["ack_pending"], a["unprocessed"]) == \
        ("pull", "all subjects", 1, 1, 0)
    assert (b["type"], b["filter"], bool(b["durable"])) == ("push", "zlim.a", True)
    assert str(cf["ack_floor"].dtype) == "int64"


def test_empty_consumers_frame(lab):
    lab.add_stream("NOCONS", subjects=["nocons"])
    cf = consumers_frame(lab.session, "NOCONS")
    assert len(cf) == 0 and list(cf.columns) == list(CONSUMER_COLUMNS)


def test_reader_is_fast_without_leaking_tasks(lab):
    # The loop thread stays usable and nothing keeps running after a read.
    lab.add_stream("TASKS", subjects=["tasks.>"])
    lab.publish_many("tasks.x", range(50))
    before = lab.session.call(_task_count())
    assert len(messages_frame(lab.session, "TASKS")) == 50
    assert lab.session.call(_task_count()) <= before


async def _task_count() -> int:
    return len([t for t in asyncio.all_tasks() if not t.done()])
