"""Text and HTML renderings of snapshots taken from a real server."""

from __future__ import annotations

import html
from datetime import datetime, timezone
from html.parser import HTMLParser

import pytest
from _raw import run, session_of, settle
from nats.js.api import AckPolicy, ConsumerConfig

from jslab import formatting
from jslab.collect import collect_snapshot
from jslab.names import subject_matches
from jslab.snapshot import ConsumerSnapshot, StreamSnapshot
from jslab.viz import render_html, render_text


async def orders_scenario(nc, js):
    """12 messages on two subjects, 4-6 and 9 deleted; 'shipping' acked 1 and 3, nak'd 2
    (redelivered), and holds 7; 'paid' (filtered) has not fetched."""
    await js.add_stream(name="ORDERS", subjects=["orders.*"], max_age=3600, max_msgs=100)
    for i in range(12):
        await js.publish(("orders.new", "orders.paid")[i % 2], b"x")
    for seq in (4, 5, 6, 9):
        await js.delete_msg("ORDERS", seq)
    await js.add_consumer("ORDERS", ConsumerConfig(
        durable_name="shipping", ack_policy=AckPolicy.EXPLICIT, ack_wait=30))
    await js.add_consumer("ORDERS", ConsumerConfig(
        durable_name="paid", ack_policy=AckPolicy.EXPLICIT, filter_subject="orders.paid"))
    sub = await js.pull_subscribe_bind("shipping", "ORDERS")
    msgs = await sub.fetch(4)
    await msgs[0].ack_sync()
    await msgs[2].ack_sync()
    await settle(nc, msgs[1], b"-NAK")
    await nc.flush()
    again = await sub.fetch(1)
    assert again[0].metadata.sequence.stream == 2
    seen = {"shipping": {2: again[0].metadata.num_delivered, 7: 1}}
    first = await collect_snapshot(session_of(nc), "ORDERS", seen=seen)
    second = await collect_snapshot(session_of(nc), "ORDERS", seen=seen)
    info = await js.consumer_info("ORDERS", "shipping")
    return first, second, info


@pytest.fixture(scope="module")
def orders(nats_server):
    return run(nats_server, orders_scenario)


def test_text_shows_stream_numbers(orders):
    snap, _, _ = orders
    text = render_text(snap)
    assert text.startswith("Stream ORDERS  (orders.*)\n")
    assert "retention=limits  storage=file  discard=old  max_msgs=100  max_age=1h" in text
    assert "seq 1..12  messages 8  bytes " in text
    assert "deleted 4-6, 9  (4 seqs)" in text
    assert "Subjects (2)" in text
    assert "  orders.new          4\n  orders.paid         4" in text
    assert "max_bytes" not in text  # unlimited limits are left out


def test_text_shows_consumer_positions(orders):
    snap, _, info = orders
    text = render_text(snap)
    block = text[text.index("  shipping  (pull durable"):]
    assert f"ack floor     stream seq {info.ack_floor.stream_seq}, consumer seq " \
           f"{info.ack_floor.consumer_seq}" in block
    assert f"delivered     stream seq {info.delivered.stream_seq}, consumer seq " \
           f"{info.delivered.consumer_seq}" in block
    assert "ack pending   2  seqs 2, 7" in block and info.num_ack_pending == 2
    assert "redelivered   1  2 (x2)" in block
    assert "waiting pulls 0" in block and f"unprocessed   {info.num_pending}" in block
    assert "paused        no" in block and "ack_wait=30s" in block
    paid = text[text.index("  paid  (pull durable"):text.index("  shipping  (")]
    assert "filter        orders.paid" in paid and "unprocessed   4" in paid


def test_text_tape(orders):
    snap, _, _ = orders
    lines = render_text(snap).splitlines()
    tape = lines[lines.index("Tape  seq 1..12"):]
    assert tape[1] == "  seq          1        10"
    assert tape[2] == "  stream       aba...ab.bab"
    # paid (orders.paid only) delivered nothing yet: its seqs are unprocessed, the others
    # not for it; the removed seqs' subjects are not known to the kit.
    assert tape[3] == "  paid         _o_..._o.o_o"
    # shipping was driven with raw nats-py, so the kit saw neither the ack of 1 nor of 3:
    # both are done (the server says so) but "not seen by the kit"; 2 was redelivered and
    # waits, 7 waits, the rest is unprocessed.
    assert tape[4] == "  shipping     ~R~...*o.ooo"
    assert tape[5] == "  subjects: a=orders.new  b=orders.paid  . removed"
    legend = "\n".join(tape[6:])
    for state in ("not for this consumer", "done, not seen by the kit", "ack pending",
                  "redelivered", "unprocessed", "removed from the stream"):
        assert state in legend
    for absent in ("before its start point", "terminated", "given up", "= acked"):
        assert absent not in legend  # the key lists only what the tape shows


def test_text_is_deterministic_and_narrow(orders):
    first, second, _ = orders
    assert first.taken_at.tzinfo is not None and second.taken_at >= first.taken_at
    assert render_text(first) == render_text(second)
    assert max(len(line) for line in render_text(first).splitlines()) <= 72


def test_snapshot_displays_itself(orders):
    snap, _, _ = orders
    assert str(snap) == render_text(snap)
    assert snap._repr_html_() == render_html(snap)
    assert repr(snap) == "<StreamSnapshot 'ORDERS' seq 1..12, 8 messages, 2 consumers>"

    class Printer:
        def __init__(self):
            self.out = ""

        def text(self, s):
            self.out += s

    p = Printer()
    snap._repr_pretty_(p, False)
    assert p.out == render_text(snap)


def test_html_sections_fallback_and_theme(orders):
    snap, _, _ = orders
    out = render_html(snap)
    assert '<pre class="jslab-text-repr-fallback">' in out
    assert html.escape(render_text(snap)) in out
    assert 'class="jslab-wrap jslab-snapshot" style="display:none"' in out
    assert "<summary>Configuration</summary>" in out
    assert "<summary>State</summary>" in out
    assert '<summary>Subjects <span class="jslab-count">(2)</span></summary>' in out
    assert '<summary>Consumers <span class="jslab-count">(2)</span></summary>' in out
    assert "var(--jp-content-font-color1" in out and "<script" not in out
    assert out.count('class="jslab-cell jslab-gap"') == 4  # the tape strip shows the 4 gaps


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)


SAFE_TAGS = {"div", "style", "pre", "details", "summary", "span", "table", "tr", "th", "td"}


def test_hostile_names_are_escaped(nats_server):
    evil_subject = "h.<script>alert(1)</script>"

    async def scenario(nc, js):
        await js.add_stream(name="a<b", subjects=["h.>"])
        await js.publish(evil_subject, b"<b>payload</b>", headers={"X-Evil": "<script>x"})
        await js.publish("h.\"quoted'&", b"")
        for name in ("<i", 'a&b"'):
            await js.add_consumer("a<b", ConsumerConfig(durable_name=name))
        return await collect_snapshot(session_of(nc), "a<b")

    snap = run(nats_server, scenario)
    assert snap.seq_subjects[1] == evil_subject
    out = render_html(snap)
    collector = TagCollector()
    collector.feed(out)
    assert collector.tags <= SAFE_TAGS, collector.tags - SAFE_TAGS
    assert not any(a.startswith("on") for a in collector.attrs)
    assert "<script" not in out and "<i" not in out
    assert html.escape(evil_subject) in out
    assert "&lt;i" in out and "a&amp;b&quot;" in out and "Stream a&lt;b" in out
    assert evil_subject in render_text(snap)  # plain text keeps the name as it is


def _snap(**kw) -> StreamSnapshot:
    base = dict(
        name="S", subjects=("s.>",), retention="limits", storage="memory", discard="old",
        discard_new_per_subject=False, max_msgs=-1, max_bytes=-1, max_age=0.0,
        max_msgs_per_subject=-1, max_msg_size=-1, duplicate_window=120.0, num_replicas=1,
        first_seq=0, last_seq=0, first_ts=None, last_ts=None, messages=0, bytes=0,
        num_deleted=0, deleted=(), subject_counts={}, consumers=(),
        taken_at=datetime(2024, 1, 1, tzinfo=timezone.utc),
    )
    base.update(kw)
    return StreamSnapshot(**base)


def test_hostile_values_in_every_field_are_escaped():
    evil = '<img src=x onerror="alert(1)">'
    consumer = ConsumerSnapshot(
        name=evil, durable=True, push=False, ack_policy="explicit", deliver_policy="all",
        replay_policy="instant", filter_subjects=(evil,), delivered_stream_seq=1,
        delivered_consumer_seq=1, ack_floor_stream_seq=0, ack_floor_consumer_seq=0,
        num_ack_pending=1, num_redelivered=0, num_waiting=0, num_pending=0, unacked=(1,),
    )
    snap = _snap(name=evil, subjects=(evil,), first_seq=1, last_seq=1, messages=1, bytes=10,
                 subject_counts={evil: 1}, consumers=(consumer,), seq_subjects={1: evil},
                 window=(1, 1))
    out = render_html(snap)
    collector = TagCollector()
    collector.feed(out)
    assert collector.tags <= SAFE_TAGS and "img" not in collector.tags
    assert "onerror" not in collector.attrs and "<img" not in out


def test_empty_and_wide_streams():
    empty = render_text(_snap(first_seq=6, last_seq=5))
    assert "empty (last seq 5)" in empty and "Tape" not in empty and "Subjects (0)" in empty
    wide = _snap(first_seq=1, last_seq=100, messages=100, bytes=5000,
                 subject_counts={"s.a": 100}, seq_subjects={i: "s.a" for i in range(1, 101)},
                 window=(1, 100))
    text = render_text(wide)
    assert "Tape" not in text and "seq 1..100  messages 100  bytes 4.9 KiB" in text
    assert "jslab-tape" not in render_html(wide).split("</style>", 1)[1]


def test_helpers():
    assert formatting.seq_ranges([9, 4, 5, 6]) == "4-6, 9"
    assert formatting.seq_ranges([1, 2, 5]) == "1, 2, 5"
    assert formatting.seq_ranges(range(0, 40, 2), limit=3) == "0, 2, 4, … (+17 more)"
    assert [formatting.duration(x) for x in (1, 0.5, 120, 5400, 0, 90)] == [
        "1s", "500ms", "2m", "1h30m", "0s", "1m30s"]
    assert [formatting.size(x) for x in (300, 1024, 5000, 3 * 1024 ** 2)] == [
        "300 B", "1 KiB", "4.9 KiB", "3 MiB"]
    assert formatting.setting("max_msgs", -1) == "unlimited"
    assert formatting.setting("max_age", 90) == "1m30s"
    assert subject_matches("a.>", "a.b.c") and subject_matches("a.*", "a.b")
    assert not subject_matches("a.>", "a") and not subject_matches("a.*", "a.b.c")


def test_one_format_everywhere():
    """max_age 90 s and 1,024 bytes read the same in the text, the HTML, the tape's title
    and the DataFrame of streams."""
    from jslab.viz.tape import _title

    snap = _snap(max_age=90.0, max_bytes=1024, first_seq=1, last_seq=1, messages=1,
                 bytes=1024, subject_counts={"s.a": 1})
    text, page, title = render_text(snap), render_html(snap), _title(snap)
    for where in (text, page, title):
        assert "1m30s" in where and "1 KiB" in where, where
    assert "max_age=1m30s" in text and "max_bytes=1 KiB" in text
    assert "max_bytes=1 KiB · max_age=1m30s" in title


def test_one_format_in_frames_too(lab):
    lab.add_stream("F", subjects=["f.>"], max_age=90, max_bytes=1024)
    row = lab.streams().set_index("name").loc["F"]
    assert row["limits"] == "max_bytes=1 KiB max_age=1m30s"
    assert "max_age=1m30s" in str(lab.snapshot("F"))
