"""The tape picture: every branch draws, and the figure holds the marks it promises."""

from __future__ import annotations

import dataclasses
import io
import time
from datetime import datetime, timezone

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.text import Text

from jslab.snapshot import ConsumerSnapshot, StreamSnapshot
from jslab.viz.tape import _demo_snapshot, tape, tape_compare, tapes

NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)


def consumer(name="c", delivered=0, floor=0, pending=0, **kw) -> ConsumerSnapshot:
    fields = dict(
        name=name, durable=True, push=False, ack_policy="explicit", deliver_policy="all",
        replay_policy="instant", filter_subjects=(), delivered_stream_seq=delivered,
        delivered_consumer_seq=delivered, ack_floor_stream_seq=floor,
        ack_floor_consumer_seq=floor, num_ack_pending=0, num_redelivered=0, num_waiting=0,
        num_pending=pending,
    )
    fields.update(kw)
    return ConsumerSnapshot(**fields)


def stream(subjects: dict[int, str], *, first=None, last=None, deleted=(), consumers=(),
           load=True, **kw) -> StreamSnapshot:
    """A stream whose stored seqs are ``subjects``' keys (``deleted`` are interior gaps)."""
    first = first if first is not None else (min(subjects) if subjects else 0)
    last = last if last is not None else (max(subjects) if subjects else 0)
    counts: dict[str, int] = {}
    for s in subjects.values():
        counts[s] = counts.get(s, 0) + 1
    fields = dict(
        name="ORDERS", subjects=("orders.>",), retention="limits", storage="file",
        discard="old", discard_new_per_subject=False, max_msgs=-1, max_bytes=-1, max_age=0.0,
        max_msgs_per_subject=-1, max_msg_size=-1, duplicate_window=120.0, num_replicas=1,
        first_seq=first, last_seq=last, first_ts=NOW, last_ts=NOW, messages=len(subjects),
        bytes=100 * len(subjects), num_deleted=len(deleted), deleted=deleted,
        subject_counts=counts, consumers=consumers, taken_at=NOW,
        seq_subjects=subjects if load else {}, window=(first, last) if load and subjects else None,
    )
    fields.update(kw)
    return StreamSnapshot(**fields)


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def collections(fig: Figure, gid: str) -> list[PolyCollection]:
    return [c for ax in fig.axes for c in ax.collections if c.get_gid() == gid]


def n_paths(fig: Figure, gid: str) -> int:
    return sum(len(c.get_paths()) for c in collections(fig, gid))


def render(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


@pytest.fixture(autouse=True)
def no_pyplot_leaks():
    yield
    assert plt.get_fignums() == [], "tape() left a figure registered with pyplot"


def small() -> StreamSnapshot:
    return _demo_snapshot()


def test_small_stream_has_cells_labels_and_marks():
    snap = small()
    fig = tape(snap)
    assert isinstance(fig, Figure)
    words = texts(fig)
    for name in ("billing", "shipping", "audit  [paused]"):
        assert name in words
    assert "orders.paid · ack explicit" in words
    assert any(w.startswith("orders.new (") for w in words)  # subject legend with counts
    assert "ORDERS · limits · max_msgs=1,000 · discard old" in words
    assert n_paths(fig, "gaps") == len(snap.deleted) == 2
    assert n_paths(fig, "subject:orders.new") == snap.subject_counts["orders.new"]
    assert "×2" in words  # billing saw seq 6 twice
    assert n_paths(fig, "state:pending") == 1  # billing's 8
    assert n_paths(fig, "state:redelivered") == 1  # billing's 6, delivered twice
    assert n_paths(fig, "state:terminated") == 1  # billing termed 3
    assert n_paths(fig, "state:acked_above_floor") == 1  # billing acked 7 above its floor 5
    assert "4 unprocessed" in words and "8 unprocessed" in words
    assert fig.get_facecolor()[:3] == (1.0, 1.0, 1.0)
    assert render(fig).startswith(b"\x89PNG")


def test_filtered_consumer_marks_only_matching_seqs_unprocessed():
    subjects = {1: "orders.new", 2: "orders.paid", 3: "orders.new", 4: "orders.paid",
                5: "orders.paid", 6: "orders.new"}
    c = consumer("pay", delivered=2, floor=2, pending=2, filter_subjects=("orders.paid",))
    fig = tape(stream(subjects, consumers=(c,)))
    assert n_paths(fig, "state:unprocessed") == 2  # seqs 4 and 5, not 3 or 6
    assert n_paths(fig, "state:not_matched") == 3  # the orders.new ones
    assert "orders.paid · ack explicit" in texts(fig)


def test_wildcard_filters_match_like_the_server():
    subjects = {1: "orders.eu.new", 2: "orders.us.new", 3: "orders.eu.paid", 4: "audit.x"}
    c = consumer("eu", pending=3, filter_subjects=("orders.*.new", "orders.eu.>"))
    fig = tape(stream(subjects, consumers=(c,)))
    assert n_paths(fig, "state:unprocessed") == 3


def test_work_queue_shows_acked_messages_as_removed():
    # 10 published, 1..4 and 6 acked and therefore removed; 5 and 7 fetched, not acked.
    subjects = {s: "jobs.email" for s in (5, 7, 8, 9, 10)}
    c = consumer("worker", delivered=7, floor=4, pending=3, num_ack_pending=2)
    snap = stream(subjects, first=5, last=10, deleted=(6,), consumers=(c,),
                  retention="workqueue")
    fig = tape(snap)
    assert fig.axes[0].get_xlim() == (0.5, 10.5)  # widened to the ack floor
    assert n_paths(fig, "gaps") == 5  # 1..4 below first_seq, 6 inside
    # The kit saw none of the deliveries, but the server's count proves both stored seqs
    # between the floor and the delivered pointer wait for an ack.
    assert n_paths(fig, "state:pending") == 2
    assert n_paths(fig, "state:unprocessed") == 3
    assert "ORDERS · workqueue" in texts(fig)


def test_interest_stream_removals_are_gaps():
    subjects = {s: "ev.x" for s in (3, 4, 5)}
    cs = (consumer("a", delivered=5, floor=2, pending=0, num_ack_pending=3),
          consumer("b", delivered=2, floor=2, pending=3))
    fig = tape(stream(subjects, first=3, last=5, consumers=cs, retention="interest"))
    assert n_paths(fig, "gaps") == 2
    assert n_paths(fig, "state:pending") == 3  # a: 3 pending, and 3..5 is all it delivered
    assert n_paths(fig, "state:unprocessed") == 3  # b: delivered up to 2


def test_window_limits_the_cells():
    snap = small()
    fig = tape(snap, window=(5, 9))
    assert fig.axes[0].get_xlim() == (4.5, 9.5)
    assert n_paths(fig, "gaps") == 1  # only 9 of the deleted (4, 9)
    with pytest.raises(ValueError, match="is empty"):
        tape(snap, window=(9, 5))


def test_no_consumers_and_empty_streams_draw():
    fig = tape(dataclasses.replace(small(), consumers=()))
    assert "stream" in texts(fig)
    render(fig)
    never = tape(stream({}))
    assert any("no messages yet" in w for w in texts(never))
    render(never)
    purged = tape(stream({}, first=11, last=10, consumers=(consumer("c", 10, 10),)))
    assert n_paths(purged, "gaps") == 10
    render(purged)


def test_paused_consumer_is_labelled():
    c = consumer("slow", delivered=1, floor=1, pending=2, paused=True)
    fig = tape(stream({1: "a", 2: "a", 3: "a"}, consumers=(c,)))
    assert "slow  [paused]" in texts(fig)


def test_bands_when_subjects_are_not_loaded():
    subjects = {s: "orders.new" for s in range(1, 21)}
    c = consumer("c", delivered=10, floor=8, pending=10, num_ack_pending=2, num_redelivered=1)
    fig = tape(stream(subjects, consumers=(c,), load=False))
    assert collections(fig, "stored-bands")
    assert not collections(fig, "gaps")
    words = texts(fig)
    assert "2 pending" in words and "10 unprocessed" in words and "×1 redelivered" in words
    assert any("aggregated" in w for w in words)
    render(fig)


def test_bands_colour_the_loaded_tail_by_subject():
    n = 5000
    subjects = {s: ("a.x" if s % 2 else "a.y") for s in range(n - 99, n + 1)}
    snap = stream(subjects, first=1, last=n, messages=n, subject_counts={"a.x": 2500,
                                                                       "a.y": 2500})
    fig = tape(snap)
    assert collections(fig, "subject:a.x") and collections(fig, "subject:a.y")
    assert collections(fig, "stored-bands")  # the rest, subject unknown


def test_compare_shares_the_range_and_lists_both_subjects():
    before = small()
    after = dataclasses.replace(
        before, last_seq=14, messages=12, seq_subjects={**before.seq_subjects, 13: "x.new",
                                                        14: "x.new"},
        subject_counts={**before.subject_counts, "x.new": 2})
    fig = tape_compare(before, after, titles=("before", "after publish"))
    top, bottom = fig.axes
    assert top.get_xlim() == bottom.get_xlim() == (0.5, 14.5)
    words = texts(fig)
    assert any(w.startswith("before: ORDERS") for w in words)
    assert any(w.startswith("after publish: ORDERS") for w in words)
    assert "x.new (2)" in words
    render(fig)


def test_draws_into_a_given_axes():
    fig = Figure(figsize=(10, 3))
    ax = fig.add_subplot()
    assert tape(small(), ax=ax) is fig
    render(fig)


def test_one_million_messages_render_fast():
    n = 1_000_000
    rng = np.random.default_rng(7)
    deleted = tuple(np.unique(rng.integers(2, n, 10_000)).tolist())
    cs = tuple(
        consumer(f"c{i}", delivered=d, floor=max(0, d - 300), pending=n - d,
                 num_ack_pending=min(d, 300), num_redelivered=i % 2)
        for i, d in enumerate(np.linspace(0, n, 10, dtype=int).tolist())
    )
    snap = stream({}, first=1, last=n, deleted=deleted, consumers=cs, load=False,
                  messages=n - len(deleted), subject_counts={"big.a": n - len(deleted)})
    t0 = time.perf_counter()
    fig = tape(snap)
    png = render(fig)
    took = time.perf_counter() - t0
    print(f"tape of 1,000,000 msgs, 10 consumers, {len(deleted)} deleted: {took:.3f} s")
    assert png.startswith(b"\x89PNG")
    labels = [t for t in fig.findobj(Text) if t.get_gid() == "unprocessed-label"]
    assert len(labels) == 9  # every consumer but the one at the end
    assert took < 3.0


def test_tape_of_a_real_stream(nats_server):
    from _raw import run, session_of

    from jslab.collect import collect_snapshot

    async def scenario(nc, js):
        await js.add_stream(name="TAPE", subjects=["tape.>"])
        for i in range(12):
            await js.publish(f"tape.{'a' if i % 3 else 'b'}", b"x")
        await js.delete_msg("TAPE", 4)
        sub = await js.pull_subscribe("tape.>", durable="reader", stream="TAPE")
        msgs = await sub.fetch(5, timeout=2)
        for m in msgs[:3]:
            await m.ack_sync()
        return await collect_snapshot(session_of(nc), "TAPE")

    snap = run(nats_server, scenario)
    fig = tape(snap)
    words = texts(fig)
    assert "reader" in words
    assert n_paths(fig, "gaps") == 1
    assert n_paths(fig, "subject:tape.a") + n_paths(fig, "subject:tape.b") == 11
    assert f"{snap.consumer('reader').num_pending} unprocessed" in words
    render(fig)


# ---------------------------------------------------------------------------------------------
# legends and colours


def legend_labels(fig: Figure) -> list[str]:
    return [t.get_text() for leg in fig.legends for t in leg.get_texts()]


def test_legend_lists_exactly_the_marks_drawn():
    fig = tape(small())
    labels = legend_labels(fig)
    for drawn in ("acked", "acked above the ack floor (out of order)", "ack pending",
                  "redelivered ×N, ack pending", "terminated (term)", "last delivered",
                  "unprocessed (not delivered yet)", "not for this consumer (filter)"):
        assert drawn in labels
    for absent in ("before its start point", "given up (max_deliver reached)",
                   "stored, subject not loaded (bar height = share still stored)"):
        assert absent not in labels
    # A stream-only tape has no consumer marks at all, and no delivered marker.
    alone = tape(dataclasses.replace(small(), consumers=()))
    labels = legend_labels(alone)
    assert not any(label in labels for label in ("acked", "last delivered", "ack floor "
                                                 "(everything left of it is done)"))
    # Nothing delivered: no triangle, no "last delivered" in the key, even when the server's
    # delivered stream seq is past the start (deliver new, by start sequence).
    fresh = consumer("new", delivered=10, floor=10, pending=0, deliver_policy="new",
                     start_seq=11, delivered_consumer_seq=0, ack_floor_consumer_seq=0)
    fig = tape(stream({s: "a.x" for s in range(1, 11)}, consumers=(fresh,)))
    assert not [ln for ln in fig.axes[0].lines if ln.get_gid() == "delivered"]
    assert "last delivered" not in legend_labels(fig)
    assert n_paths(fig, "state:before_start") == 10


def test_one_legend_and_one_colour_per_subject_across_panels():
    a = small()
    b = dataclasses.replace(a, name="OTHER")
    fig = tapes([a, b, a], titles=["one", "two", "three"])
    assert len(fig.axes) == 3
    assert [leg.get_gid() for leg in fig.legends] == ["subjects", "key"]
    faces = {}
    for ax in fig.axes:
        for c in ax.collections:
            gid = c.get_gid() or ""
            if gid.startswith("subject:"):
                faces.setdefault(gid, set()).add(tuple(c.get_facecolor()[0]))
    assert faces and all(len(v) == 1 for v in faces.values())
    # The same subject has the same colour in another figure with other subjects.
    other = stream({1: "orders.new", 2: "zzz.other"})
    one = [c for c in tape(other).axes[0].collections if c.get_gid() == "subject:orders.new"]
    assert {tuple(one[0].get_facecolor()[0])} == faces["subject:orders.new"]
    # color_key: keep.orders and queue.orders coloured alike.
    k = stream({1: "keep.orders", 2: "keep.refunds"})
    q = stream({1: "queue.orders", 2: "queue.refunds"}, name="QUEUE")
    fig = tapes([k, q], color_key=lambda s: s.split(".")[-1])
    colour = {c.get_gid(): tuple(c.get_facecolor()[0]) for ax in fig.axes
              for c in ax.collections if (c.get_gid() or "").startswith("subject:")}
    assert colour["subject:keep.orders"] == colour["subject:queue.orders"]
    assert colour["subject:keep.orders"] != colour["subject:keep.refunds"]


def test_subject_colours_are_stable_and_distinct():
    from jslab.viz.style import PALETTE, subject_color, subject_colors

    assert subject_colors(["orders.new"])["orders.new"] == subject_color("orders.new")
    many = subject_colors(f"s.{i}" for i in range(len(PALETTE)))
    assert len(set(many.values())) == len(PALETTE)  # collisions moved to free colours


def test_removed_cells_keep_their_subject_colour():
    from jslab.viz.style import subject_colors

    snap = small()  # 4 (orders.shipped) and 9 (orders.paid) removed, subjects remembered
    fig = tape(snap)
    gaps = collections(fig, "gaps")
    colours = subject_colors(snap.subject_counts)
    edges = {matplotlib.colors.to_hex(c.get_edgecolor()[0]) for c in gaps}
    assert edges == {colours["orders.shipped"], colours["orders.paid"]}
    forgotten = dataclasses.replace(snap, removed_subjects={})
    edges = {matplotlib.colors.to_hex(c.get_edgecolor()[0])
             for c in collections(tape(forgotten), "gaps")}
    assert edges == {"#9aa0a6"}  # grey: the subject is not known


def test_window_is_cells_up_to_200_seqs_even_without_subjects():
    n = 5000
    c = consumer("c", delivered=n - 10, floor=n - 20, pending=10, num_ack_pending=10,
                 start_seq=1)
    snap = stream({}, first=1, last=n, consumers=(c,), load=False, messages=n,
                  subject_counts={"a.x": n})
    fig = tape(snap, window=(n - 29, n))
    assert n_paths(fig, "subject-unknown") == 30  # one cell per seq, subject not loaded
    assert not any("aggregated" in w for w in texts(fig))
    assert n_paths(fig, "state:pending") == 10  # the count proves which ones wait
    wide = tape(snap, window=(1, 3000))
    assert any("aggregated" in w for w in texts(wide))
