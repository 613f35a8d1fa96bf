"""Random small scenarios (seeded, bounded): the pictures never claim more than is proven.

Each scenario makes a stream with a few subjects, a few consumers with random deliver, ack
and filter settings, and runs random publishes, fetches, acks, naks, terms and deletes
through the lab. For every snapshot:

- the ack-pending cells number exactly ``num_ack_pending`` (when no cell says "not known"),
- nothing before a consumer's start point, and nothing the kit did not see acked, is drawn
  as acked,
- the text tape and the figure show the same state on every sequence,
- the consumers' numbers are the server's.
"""

from __future__ import annotations

import contextlib
import random

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from jslab.errors import SequenceNotFoundError
from jslab.lab import Lab
from jslab.server import LocalServer
from jslab.snapshot import STATES
from jslab.viz.tape import tape
from jslab.viz.text import consumer_marks

SCENARIOS = 40
SUBJECTS = ("p.a", "p.b", "p.c")
STEPS = 8


def _consumer_config(rng: random.Random, n_published: int) -> dict:
    cfg: dict = {}
    policy = rng.choice(["all", "all", "new", "last", "by_start_sequence"])
    cfg["deliver_policy"] = policy
    if policy == "by_start_sequence":
        cfg["opt_start_seq"] = rng.randint(1, max(1, n_published + 2))
    if rng.random() < 0.5:
        cfg["filter_subject"] = rng.choice(SUBJECTS)
    cfg["ack_policy"] = rng.choice(["explicit", "explicit", "all"])
    if rng.random() < 0.3:
        cfg["max_deliver"] = rng.choice([2, 3])
    return cfg


def _run(lab: Lab, rng: random.Random, stream: str) -> None:
    prefix = stream.lower()
    lab.add_stream(stream, subjects=[f"{prefix}.>"])

    def publish(k: int) -> None:
        lab.publish_many([(f"{prefix}.{rng.choice(SUBJECTS)[2:]}", i) for i in range(k)])

    publish(rng.randint(0, 6))
    published = lab.stream_info(stream).state.last_seq
    names = [f"c{i}" for i in range(rng.randint(1, 3))]
    for name in names:
        cfg = _consumer_config(rng, published)
        if "filter_subject" in cfg:
            cfg["filter_subject"] = f"{prefix}.{cfg['filter_subject'][2:]}"
        lab.add_consumer(stream, name, **cfg)
    held: dict[str, list] = {n: [] for n in names}
    for _ in range(STEPS):
        op = rng.choice(["publish", "fetch", "fetch", "answer", "answer", "delete"])
        name = rng.choice(names)
        if op == "publish":
            publish(rng.randint(1, 4))
        elif op == "fetch":
            held[name] += list(lab.fetch(stream, name, rng.randint(1, 4), wait=0.05))
        elif op == "answer" and held[name]:
            msg = held[name].pop(rng.randrange(len(held[name])))
            if msg.acked:
                continue
            how = rng.choice(["ack", "ack_sync", "nak", "term"])
            getattr(msg, how)()
        elif op == "delete":
            info = lab.stream_info(stream).state
            if info.messages:
                with contextlib.suppress(SequenceNotFoundError):  # already a gap
                    lab.delete_msg(stream, rng.randint(info.first_seq, info.last_seq))


def _per_seq(snap, c, lo=None, hi=None) -> dict[int, str]:
    out = {}
    for run in snap.consumer_states(c, lo, hi):
        for seq in range(run.first, run.last + 1):
            out[seq] = run.state
    return out


def _drawn(fig, row: int) -> dict[int, str]:
    """The state the figure draws on each seq of consumer row ``row`` (1 = first consumer)."""
    out = {}
    for coll in fig.axes[0].collections:
        gid = coll.get_gid() or ""
        if not gid.startswith("state:"):
            continue
        for path in coll.get_paths():
            xs, ys = path.vertices[:, 0], path.vertices[:, 1]
            if abs((ys.min() + ys.max()) / 2 - row) < 0.3:
                out[round(float(np.mean(xs[:4])))] = gid[6:]
    return out


def _check(lab: Lab, snap) -> bool:
    """The properties; True when every pending count could be checked exactly."""
    exact = True
    fig = tape(snap)
    lo, hi = snap.state_range or (1, 0)
    for row, c in enumerate(snap.consumers, start=1):
        ci = lab.consumer_info(snap.name, c.name)
        assert (c.ack_floor_stream_seq, c.delivered_stream_seq, c.num_ack_pending,
                c.num_pending) == (ci.ack_floor.stream_seq, ci.delivered.stream_seq,
                                   ci.num_ack_pending, ci.num_pending)
        per_seq = _per_seq(snap, c)
        waiting = sum(1 for s in per_seq.values() if s in ("pending", "redelivered"))
        unknown = sum(1 for s in per_seq.values() if s == "unknown")
        if unknown:
            exact = False
            assert waiting <= c.num_ack_pending <= waiting + unknown
        else:
            assert waiting == c.num_ack_pending, (c.name, per_seq, c)
        acked = {s for a, b in c.acked for s in range(a, b + 1)}
        for seq, state in per_seq.items():
            if c.start_seq is not None and seq < c.start_seq:
                assert state == "before_start", (c.name, seq, state)
            if state == "acked_above_floor":
                assert seq in acked
            if state == "acked" and c.ack_policy != "all":
                assert seq in acked, (c.name, seq, per_seq)
        # Text and figure: the same state on every sequence.
        marks = consumer_marks(snap, c, lo, hi)
        assert marks.rstrip() == "".join(STATES[per_seq[q]].char for q in sorted(per_seq))
        x0, x1 = fig.axes[0].get_xlim()
        in_figure = _per_seq(snap, c, round(x0 + 0.5), round(x1 - 0.5))
        if snap.state_range:
            assert in_figure == per_seq  # the figure's range is the text's
        assert _drawn(fig, row) == {q: s for q, s in in_figure.items() if s != "removed"}
    return exact


@pytest.mark.parametrize("chunk", range(4))
def test_random_scenarios_show_only_what_is_proven(chunk):
    exact = 0
    with LocalServer() as srv:
        lab = Lab(srv.url)
        try:
            for k in range(chunk * SCENARIOS // 4, (chunk + 1) * SCENARIOS // 4):
                rng = random.Random(1000 + k)
                stream = f"P{k}"
                _run(lab, rng, stream)
                exact += _check(lab, lab.snapshot(stream))
        finally:
            lab.close()
    # Nearly always the kit knows exactly which seqs wait for an ack.
    assert exact >= SCENARIOS // 4 - 2
