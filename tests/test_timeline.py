"""Delivery and publish timelines against a real server: every mark is something that happened,
every window explains the redelivery after it, and the text summary is the same on every run."""

from __future__ import annotations

import base64
import time
from datetime import datetime, timedelta, timezone

import matplotlib

matplotlib.use("Agg")

import pytest

from jslab.deliveries import DeliveryEvent
from jslab.errors import JslabError
from jslab.lab import Lab
from jslab.server import LocalServer
from jslab.timelines import Advisory
from jslab.viz.timeline import MAX_ROWS, Timeline, delivery_timeline

SLACK = 0.05  # the kit stamps a delivery when its fetch returns: a few ms after the server sent it
LATE = 1.5  # on a loaded machine a redelivery may come this much after its window ended


def deliveries(tl: Timeline, seq: int) -> list[float]:
    df = tl.frame
    return list(df[(df["seq"] == seq) & (df["kind"] == "delivered")]["t"])


def legend(tl: Timeline) -> list[str]:
    return [t.get_text() for leg in tl.figure.legends for t in leg.get_texts()]


def fetch_one(lab: Lab, stream: str, consumer: str, wait: float = 3.0):
    batch = lab.fetch(stream, consumer, wait=wait)
    assert len(batch) == 1, f"expected one delivery within {wait}s"
    return batch[0]


# ---------------------------------------------------------------------------------------------
# redelivery, explained


def test_ack_wait_runs_out_and_the_message_comes_back(lab):
    lab.add_stream("SLOW", subjects=["slow.>"])
    lab.publish("slow.job", "forgotten")
    lab.add_consumer("SLOW", "forgetful", ack_wait=0.5)
    fetch_one(lab, "SLOW", "forgetful")  # ...and never answered
    again = fetch_one(lab, "SLOW", "forgetful")
    again.ack_sync()

    tl = lab.timeline("SLOW", "forgetful")
    first, second = deliveries(tl, 1)
    assert first == 0.0
    assert 0.5 - SLACK <= second <= 0.5 + LATE
    assert list(tl.frame["num_delivered"]) == [1, 2, 2]
    assert list(tl.frame["kind"]) == ["delivered", "delivered", "ack_sync"]
    # The window after delivery #1 is ack_wait long and ends where #2 starts.
    window = [s for s in tl.spans if s.kind == "window" and s.label]
    assert len(window) == 1 and window[0].label == "ack_wait 500ms"
    assert (window[0].end - window[0].start).total_seconds() == pytest.approx(0.5)
    assert tl.seconds(window[0].end) <= second + SLACK
    assert str(tl).splitlines()[2] == (
        "  seq 1: delivered #1, no answer within ack_wait 500ms, delivered #2, ack_sync")
    assert tl.states == {1: "acked"}


def test_nak_with_delay_draws_the_delay_and_the_redelivery_after_it(lab):
    lab.add_stream("NAKS", subjects=["naks.>"])
    lab.publish("naks.job", "retry me")
    lab.add_consumer("NAKS", "worker")
    fetch_one(lab, "NAKS", "worker").nak(delay=0.3)
    again = fetch_one(lab, "NAKS", "worker")
    assert again.num_delivered == 2
    again.ack_sync()

    tl = lab.timeline("NAKS", "worker")
    df = tl.frame
    nak = df[df["kind"] == "nak"].iloc[0]
    assert nak["delay"] == pytest.approx(0.3) and nak["num_delivered"] == 1
    delay = [s for s in tl.spans if s.kind == "nak_delay"]
    assert len(delay) == 1 and delay[0].label == "delay 300ms"
    assert (delay[0].end - delay[0].start).total_seconds() == pytest.approx(0.3)
    assert deliveries(tl, 1)[1] - nak["t"] >= 0.3 - SLACK
    assert "seq 1: delivered #1, nak(delay 300ms), delivered #2, ack_sync" in str(tl)
    assert "nak delay (held back, then redelivered)" in legend(tl)


def test_backoff_steps_space_the_deliveries_and_max_deliver_gives_up(lab):
    lab.add_stream("BACKOFF", subjects=["backoff.>"])
    lab.publish("backoff.job", "flaky")
    lab.add_consumer("BACKOFF", "patient", backoff=[0.2, 0.5], max_deliver=3)
    watch = lab.watch_deliveries("BACKOFF", "patient")
    assert lab.watch_deliveries("BACKOFF", "patient") is watch  # one watch per consumer
    for n in (1, 2, 3):
        assert fetch_one(lab, "BACKOFF", "patient").num_delivered == n
    assert not lab.fetch("BACKOFF", "patient", wait=1.0)  # the server gave up: nothing comes

    tl = lab.timeline("BACKOFF", "patient")
    t1, t2, t3 = deliveries(tl, 1)
    assert 0.2 - SLACK <= t2 - t1 <= 0.2 + LATE
    assert 0.5 - SLACK <= t3 - t2 <= 0.5 + LATE
    labels = [s.label for s in tl.spans if s.kind == "backoff"]
    assert labels == ["backoff[0] 200ms", "backoff[1] 500ms", "backoff[1] 500ms"]
    assert tl.states == {1: "given up"}
    given_up = tl.frame[tl.frame["kind"] == "given_up"]
    assert list(given_up["source"]) == ["advisory"]  # placed where the server said so
    assert given_up["t"].iloc[0] >= t3 + 0.5 - SLACK
    assert "given up (server's MAX_DELIVERIES advisory)" in legend(tl)
    assert str(tl).splitlines()[2] == (
        "  seq 1: delivered #1, no answer within backoff[0] 200ms, delivered #2, no answer "
        "within backoff[1] 500ms, delivered #3, no answer within backoff[1] 500ms, "
        "given up (max_deliver 3)")
    assert "consumer: ack_wait 200ms, backoff 200ms, 500ms, max_deliver 3" in str(tl)
    watch.stop()


def test_in_progress_restarts_the_window(lab):
    lab.add_stream("LONG", subjects=["long.>"])
    lab.publish("long.job", "slow work")
    lab.add_consumer("LONG", "steady", ack_wait=0.5)
    msg = fetch_one(lab, "LONG", "steady")
    for _ in range(3):
        time.sleep(0.3)  # longer than ack_wait in total, never 0.5 s without news
        msg.in_progress()
    assert not lab.fetch("LONG", "steady", wait=0.1)  # not redelivered
    msg.ack_sync()

    tl = lab.timeline("LONG", "steady")
    assert list(tl.frame["kind"]) == ["delivered", "in_progress", "in_progress", "in_progress",
                                      "ack_sync"]
    windows = [s for s in tl.spans if s.kind == "window"]
    assert len(windows) == 4  # delivery -> progress -> progress -> progress -> ack
    assert all(not s.label for s in windows)  # none ran out
    assert all(s.end - s.start < timedelta(seconds=0.5) for s in windows)
    assert "seq 1: delivered #1, in_progress ×3, ack_sync" in str(tl)
    assert "in_progress (restarts the window)" in legend(tl)


def test_ack_and_term_end_a_row(lab):
    lab.add_stream("ENDS", subjects=["ends.>"])
    lab.publish_many("ends.job", ["fine", "broken", "pending"])
    lab.add_consumer("ENDS", "worker", ack_wait=0.5)
    batch = lab.fetch("ENDS", "worker", 3)
    batch[0].ack()
    batch[1].term(reason="cannot parse")
    batch[2].ack_sync()
    assert not lab.fetch("ENDS", "worker", wait=0.8)  # past ack_wait: nothing comes back

    tl = lab.timeline("ENDS", "worker")
    assert tl.states == {1: "acked", 2: "terminated", 3: "acked"}
    assert (tl.frame["kind"] == "delivered").sum() == 3
    text = str(tl)
    assert "seq 1: delivered #1, ack\n" in text and "seq 2: delivered #1, term\n" in text
    # The legend lists exactly the marks drawn.
    assert legend(tl) == ["delivered (number = delivery count)", "ack",
                          "ack_sync (confirmed ack)", "term (never again)",
                          "ack wait window (no answer: redelivered at its end)"]
    assert lab.timeline("ENDS", "worker", seqs=2).states == {2: "terminated"}
    assert lab.timeline("ENDS", "worker", seqs=[1, 3]).states == {1: "acked", 3: "acked"}


# ---------------------------------------------------------------------------------------------
# the text is deterministic and the frame agrees with the server


def _scenario(lab: Lab) -> Timeline:
    lab.add_stream("JOBS", subjects=["jobs.>"])
    lab.publish_many("jobs.run", ["ok", "retry", "bad", "slow"])
    lab.add_consumer("JOBS", "worker", ack_wait=0.4, max_deliver=3)
    batch = lab.fetch("JOBS", "worker", 4)
    batch[0].ack_sync()
    batch[1].nak(delay=0.2)
    batch[2].nak()
    batch[3].in_progress()
    for _ in range(6):  # bounded: the redeliveries, then nothing
        got = lab.fetch("JOBS", "worker", 4, wait=0.8)
        if not got:
            break
        for m in got:
            if m.seq == 2:
                m.ack_sync()
            elif m.seq == 3:
                m.term() if m.num_delivered == 2 else m.nak()
            # seq 4 is left unanswered: redelivered until max_deliver
    return lab.timeline("JOBS", "worker")


def test_text_is_the_same_on_two_runs_and_counts_match_consumer_info():
    texts = []
    for _ in range(2):
        with LocalServer() as srv, Lab(srv.url) as lab:
            tl = _scenario(lab)
            texts.append(str(tl))
            info = lab.consumer_info("JOBS", "worker")
            df = tl.frame
            delivered = df[df["kind"] == "delivered"]
            assert len(delivered) == info.delivered.consumer_seq
            assert delivered["seq"].max() == info.delivered.stream_seq
            open_rows = [s for s, st in tl.states.items()
                         if st not in ("acked", "terminated", "given up")]
            assert len(open_rows) == info.num_ack_pending == 0
            most = delivered.groupby("seq")["num_delivered"].max()
            redelivered = [s for s, n in most.items()
                           if n > 1 and tl.states[s] not in ("acked", "terminated")]
            assert len(redelivered) == info.num_redelivered
            assert tl.states == {1: "acked", 2: "acked", 3: "terminated", 4: "given up"}
    assert texts[0] == texts[1]
    assert texts[0].splitlines()[0] == (
        "Deliveries of JOBS to worker: 4 messages, 8 deliveries (4 of them redeliveries), "
        "2 acked, "
        "1 terminated, 1 given up")


# ---------------------------------------------------------------------------------------------
# display, frame and arguments


def test_displays_as_png_with_the_text(lab):
    lab.add_stream("SHOW", subjects=["show.>"])
    lab.publish("show.x", "x")
    lab.add_consumer("SHOW", "c")
    lab.fetch_and_ack("SHOW", "c", 1, sync=True)
    tl = lab.timeline("SHOW", "c")
    bundle = tl._repr_mimebundle_()
    assert bundle["text/plain"] == str(tl) == tl.text()
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert tl._repr_png_().startswith(b"\x89PNG")
    assert "at 0.0s" in tl.text(times=True)
    assert list(tl.frame.columns) == ["time", "t", "seq", "kind", "num_delivered", "delay",
                                      "wait", "source"]
    assert "SHOW › c" in repr(tl)


def test_empty_timeline_and_bad_arguments(lab):
    lab.add_stream("NONE", subjects=["none.>"])
    lab.add_consumer("NONE", "idle")
    tl = lab.timeline("NONE", "idle")
    assert "(nothing recorded)" in str(tl) and tl.frame.empty
    assert tl.figure is tl.figure  # drawn once
    with pytest.raises(JslabError):
        lab.timeline("NONE", "idle", seqs="one")
    with pytest.raises(JslabError):
        lab.timeline("NONE", "idle", seqs=[0])
    with pytest.raises(JslabError):
        lab.timeline("NONE", "idle", since=12)
    with pytest.raises(JslabError):
        lab.timeline("NONE", "missing")


def test_since_leaves_older_events_out(lab):
    lab.add_stream("LATER", subjects=["later.>"])
    lab.publish_many("later.x", ["a", "b"])
    lab.add_consumer("LATER", "c")
    lab.fetch("LATER", "c")[0].ack_sync()
    mark = datetime.now(timezone.utc)
    lab.fetch("LATER", "c")[0].ack_sync()
    assert lab.timeline("LATER", "c", since=mark).states == {2: "acked"}


def test_built_from_plain_events_without_a_server():
    t0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
    at = lambda s: t0 + timedelta(seconds=s)  # noqa: E731
    events = [DeliveryEvent(at(0), 1, "delivered", 1), DeliveryEvent(at(0.001), 1, "nak", 1),
              DeliveryEvent(at(0.002), 1, "delivered", 2),
              DeliveryEvent(at(0.003), 1, "nak", 2, 0.5)]
    tl = delivery_timeline(events, stream="S", consumer="c", ack_wait=1.0, backoff=None,
                           max_deliver=2, now=at(5), advisories=[
                               Advisory(at(0.6), "max_deliveries", 1, 2)])
    assert tl.states == {1: "given up"}
    assert str(tl).splitlines()[2] == (
        "  seq 1: delivered #1, nak, delivered #2, nak(delay 500ms), given up (max_deliver 2)")
    assert list(tl.frame["source"]) == ["kit"] * 4 + ["advisory"]
    # Marks a millisecond apart are drawn side by side, in order, and the axis says so.
    assert "side by side" in tl.figure.axes[0].get_xlabel()
    many = [DeliveryEvent(at(i), i + 1, "delivered", 1) for i in range(MAX_ROWS + 5)]
    tl = delivery_timeline(many, stream="S", consumer="c", ack_wait=30, backoff=None,
                           max_deliver=-1, now=at(0))
    assert len(tl.rows) == MAX_ROWS and "5 earlier messages not shown" in str(tl)


# ---------------------------------------------------------------------------------------------
# publishes and the duplicate window


def test_publish_timeline_shows_the_duplicate_window(lab):
    lab.add_stream("EVENTS", subjects=["events.>"], duplicate_window=0.5)
    with lab.publish_log("EVENTS") as log:
        assert log.listening
        assert lab.publish("events.login", "alice", msg_id="login-1").duplicate is None
        assert lab.publish("events.login", "alice", msg_id="login-1").duplicate is True
        lab.publish_many([("events.login", "bob", {"Nats-Msg-Id": "login-2"})] * 2)
        time.sleep(0.9)  # past the window (the server purges ids within ~50 ms of its end)
        assert not lab.publish("events.login", "alice", msg_id="login-1").duplicate
        lab.publish("events.login", "no id")
    assert not log.listening and "stopped" in repr(log)
    lab.publish("events.login", "after the block", msg_id="late")  # not recorded
    log.add(lab.publish("events.login", "by hand", msg_id="login-3"))  # recorded by hand

    tl = log.timeline()
    assert str(tl) == "\n".join([
        "Publishes to EVENTS: 7 publishes, 5 stored, 2 duplicates",
        "  stream: duplicate_window 500ms",
        "  login-1: stored as seq 1, duplicate of seq 1, stored again as seq 3 (after the window)",
        "  login-2: stored as seq 2, duplicate of seq 2",
        "  (no msg id): stored as seq 4",
        "  login-3: stored as seq 6",
    ])
    windows = [s for s in tl.spans if s.kind == "dup_window"]
    assert [s.row for s in windows] == ["login-1", "login-1", "login-2", "login-3"]
    assert all((s.end - s.start).total_seconds() == pytest.approx(0.5) for s in windows)
    df = tl.frame
    assert list(df["kind"]) == ["stored", "duplicate", "stored", "duplicate", "stored", "stored",
                                "stored"]
    third = df[(df["msg_id"] == "login-1") & (df["seq"] == 3)]["t"].iloc[0]
    assert third >= 0.5  # stored again only after the window drawn before it
    assert legend(tl) == ["stored (number = stream seq)",
                          "duplicate: not stored (number = the seq it repeats)",
                          "duplicate window (same id dropped)"]
    assert log._repr_mimebundle_()["text/plain"] == str(tl)
    with pytest.raises(JslabError):
        log.add("not a PubAck")


def test_publish_log_stops_with_the_lab():
    with LocalServer() as srv:
        lab = Lab(srv.url)
        lab.add_stream("S", subjects=["s.>"])
        log = lab.publish_log("S")
        lab.publish("s.x", "1", msg_id="one")
        lab.close()
        assert not log.listening and len(log) == 1
        assert lab.session.on_publish == []
