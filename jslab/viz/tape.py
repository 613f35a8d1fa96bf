"""The tape: a stream drawn as a row of sequence numbers, with every consumer's position on it.

The top row is the stream, one cell per sequence coloured by subject; removed sequences
(deleted, expired, acked away from a work queue, purged) are hatched gaps. Below it, one row
per consumer: the ack floor (everything at or below it is done), the delivered pointer, the
deliveries still waiting for an ack, redelivery counts and the unprocessed messages.
Streams wider than ``max_cells`` sequences are drawn as aggregated bands instead.

    >>> fig = tape(lab.snapshot("ORDERS"))
    >>> fig.savefig("orders.png")
"""

from __future__ import annotations

import bisect
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import matplotlib
import matplotlib.colors
import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import blended_transform_factory

from ..snapshot import ConsumerSnapshot, StreamSnapshot
from .figures import new_figure

__all__ = ["tape", "tape_compare"]

# Qualitative palette (Tableau 10 without its grey, which reads as "absent" here).
SUBJECT_COLORS = (
    "#4e79a7", "#59a14f", "#edc948", "#b07aa1", "#76b7b2",
    "#ff9da7", "#9c755f", "#e15759", "#f28e2b", "#8cd17d",
    "#86bcb6", "#d4a6c8",
)
NEUTRAL = "#9aa5b1"  # stored messages whose subject is not loaded
DONE = "#c9d3c3"  # at or below the ack floor
DONE_EDGE = "#8b9a83"
PENDING = "#f28e2b"  # delivered, waiting for an ack
REDELIVERED = "#c0392b"
UNPROCESSED = "#d6e6f5"  # matches the filter, not delivered yet
UNPROCESSED_EDGE = "#8fb3d9"
POINTER = "#1f2d3d"
GAP_EDGE = "#9aa0a6"
TEXT = "#1f2d3d"
MUTED = "#5f6b76"

STREAM_H = 0.8  # row heights in data units; rows sit one unit apart
CONSUMER_H = 0.62
BANDS = 300  # bins when the tape is aggregated
MAX_LEGEND_SUBJECTS = 11
WIDTH_IN = 10.0



@dataclass(frozen=True)
class _Plan:
    lo: int
    hi: int
    mode: str  # "cells" | "bands" | "empty"


# ---------------------------------------------------------------------------------------------
# public API


def tape(
    snap: StreamSnapshot,
    *,
    window: tuple[int, int] | None = None,
    ax=None,
    title: str | None = None,
    max_cells: int = 2000,
) -> Figure:
    """Draw ``snap`` as a tape of sequence numbers with each consumer's position on it.

    ``window=(lo, hi)`` limits the tape to those sequences (default: the stored range, widened
    to the left to every consumer's ack floor plus a few removed seqs, so that discarded,
    purged or acked-away messages show as gaps).
    Wider than ``max_cells`` sequences, or without per-sequence subjects for the range, the
    tape is drawn as aggregated bands. Pass ``ax`` to draw into an existing Axes.

        >>> fig = tape(snap)                      # displays inline in Jupyter
        >>> fig = tape(snap, window=(1, 50))
    """
    plan = _plan(snap, window, max_cells)
    colors = _subject_colors([snap])
    if ax is None:
        fig, (ax,) = _new_figure([len(snap.consumers)], legend_lines=_legend_lines([snap], plan))
        own = True
    else:
        fig, own = ax.figure, False
    _draw(ax, snap, plan, colors, title if title is not None else _title(snap))
    _legends(ax, [snap], plan, colors, figure_legend=own)
    return fig


def tape_compare(
    before: StreamSnapshot,
    after: StreamSnapshot,
    *,
    titles: tuple[str, str] = ("before", "after"),
    window: tuple[int, int] | None = None,
    max_cells: int = 2000,
) -> Figure:
    """Two tapes stacked on the same sequence range: what an operation changed.

        >>> fig = tape_compare(snap_before, snap_after, titles=("before", "after ack"))
    """
    p1, p2 = _plan(before, window, max_cells), _plan(after, window, max_cells)
    if window is None:
        lo, hi = min(p1.lo, p2.lo), max(p1.hi, p2.hi)
        p1, p2 = _plan(before, (lo, hi), max_cells), _plan(after, (lo, hi), max_cells)
    if "bands" in (p1.mode, p2.mode):
        # The same drawing on both sides, or the eye compares styles instead of positions.
        p1, p2 = (_Plan(p.lo, p.hi, "bands" if p.mode != "empty" else p.mode) for p in (p1, p2))
    colors = _subject_colors([before, after])
    fig, axes = _new_figure(
        [len(before.consumers), len(after.consumers)],
        legend_lines=_legend_lines([before, after], p2),
    )
    for ax, snap, plan, label in zip(axes, (before, after), (p1, p2), titles, strict=True):
        _draw(ax, snap, plan, colors, f"{label}: {_title(snap)}")
    axes[0].sharex(axes[1])
    axes[0].tick_params(labelbottom=True)
    _legends(axes[-1], [before, after], p2, colors, figure_legend=True)
    return fig


# ---------------------------------------------------------------------------------------------
# planning: which sequences, cells or bands


def _plan(snap: StreamSnapshot, window: tuple[int, int] | None, max_cells: int) -> _Plan:
    if window is not None:
        lo, hi = int(window[0]), int(window[1])
        if hi < lo:
            raise ValueError(
                f"window={window!r} is empty: pass (lo, hi) with lo <= hi, for example "
                f"({max(snap.first_seq, 1)}, {max(snap.last_seq, 1)})"
            )
        lo = max(lo, 1)
        hi = max(hi, lo)
    elif snap.last_seq <= 0:
        return _Plan(1, 1, "empty")
    else:
        lo, hi = snap.first_seq, snap.last_seq
        floors = [c.ack_floor_stream_seq + 1 for c in snap.consumers]
        if floors:
            lo = min(lo, *floors)
        if lo > hi:  # purged: show the last removed sequences
            lo = hi - 19
        else:
            # A few removed seqs before the first kept one, so removals show as gaps.
            lo -= max(4, (hi - lo + 1) // 4)
        lo = max(lo, 1)
    n = hi - lo + 1
    if n > max_cells or not _subjects_cover(snap, lo, hi):
        return _Plan(lo, hi, "bands")
    return _Plan(lo, hi, "cells")


def _subjects_cover(snap: StreamSnapshot, lo: int, hi: int) -> bool:
    a, b = max(lo, snap.first_seq), min(hi, snap.last_seq)
    if a > b or snap.messages == 0:
        return True
    gone = _count_between(snap.deleted, a, b)
    stored = (b - a + 1) - gone
    known = sum(1 for s in range(a, b + 1) if s in snap.seq_subjects)
    return known >= stored


def _count_between(sorted_seqs: Sequence[int], a: int, b: int) -> int:
    return bisect.bisect_right(sorted_seqs, b) - bisect.bisect_left(sorted_seqs, a)


# ---------------------------------------------------------------------------------------------
# figure and layout


def _new_figure(consumer_counts: list[int], *, legend_lines: int):
    """A white figure with one tape Axes per entry, sized in inches so text never squeezes."""
    top_in, xaxis_in, legend_in, left_in, right_in = 0.45, 0.45, 0.28 * legend_lines + 0.2, 2.1, 0.9
    heights = [0.95 + 0.5 * n for n in consumer_counts]
    gap_in = 0.95
    height = top_in + sum(heights) + (len(heights) - 1) * gap_in + xaxis_in + legend_in
    fig = new_figure(WIDTH_IN, height)
    y = height - top_in
    axes = []
    for h in heights:
        y -= h
        axes.append(fig.add_axes((left_in / WIDTH_IN, y / height,
                                  1 - (left_in + right_in) / WIDTH_IN, h / height)))
        y -= gap_in
    return fig, axes


def _legend_lines(snaps: Sequence[StreamSnapshot], plan: _Plan) -> int:
    n = min(len(_legend_subjects(snaps, plan)), MAX_LEGEND_SUBJECTS + 1)
    n += plan.mode == "bands"
    return 1 + (n + 3) // 4


# ---------------------------------------------------------------------------------------------
# drawing


def _draw(ax, snap: StreamSnapshot, plan: _Plan, colors: Mapping[str, str], title: str) -> None:
    ax.set_facecolor("white")
    n_rows = 1 + len(snap.consumers)
    ax.set_xlim(plan.lo - 0.5, plan.hi + 0.5)
    ax.set_ylim(n_rows - 0.5, -0.55)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color("#b0b7bf")
    ax.set_yticks([])
    ax.tick_params(axis="x", labelsize=8, colors=MUTED, length=3)
    ax.set_title(title, loc="left", fontsize=11, color=TEXT, fontweight="bold", pad=8)
    _format_xaxis(ax, plan)
    label = blended_transform_factory(ax.transAxes, ax.transData)

    if plan.mode == "empty":
        ax.text(0.5, 0, "no messages yet — the first one will be seq 1", transform=label,
                ha="center", va="center", fontsize=9, color=MUTED, style="italic")
        ax.set_xticks([])
    elif plan.mode == "cells":
        _stream_cells(ax, snap, plan, colors)
    else:
        _stream_bands(ax, snap, plan, colors)
    stream_note = f"{snap.messages:,} msgs"
    removed = len(_removed_seqs(snap, plan.lo, plan.hi)) if plan.mode == "cells" else \
        _removed_count(snap, plan.lo, plan.hi)
    if removed:
        stream_note += f" · {removed:,} removed"
    _row_label(ax, label, 0, "stream", stream_note)

    for i, c in enumerate(snap.consumers, start=1):
        ax.add_collection(_rects([plan.lo - 0.5], [plan.hi + 0.5], i - CONSUMER_H / 2,
                                 i + CONSUMER_H / 2, facecolor="#f7f8f9", edgecolor="none",
                                 zorder=0))
        if plan.mode == "cells":
            _consumer_cells(ax, snap, c, i, plan)
        elif plan.mode == "bands":
            _consumer_bands(ax, c, i, plan)
        _row_label(ax, label, i, c.name + ("  [paused]" if c.paused else ""),
                   f"{c.filter_label} · ack {c.ack_policy}", paused=c.paused)


def _row_label(ax, transform, y: float, name: str, detail: str, *, paused: bool = False) -> None:
    ax.text(-0.015, y - 0.06, _clip(name, 30), transform=transform, ha="right", va="bottom",
            fontsize=9.5, fontweight="bold", color=REDELIVERED if paused else TEXT,
            gid="row-label")
    ax.text(-0.015, y - 0.02, _clip(detail, 36), transform=transform, ha="right", va="top",
            fontsize=7.5, color=MUTED, linespacing=1.1)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _format_xaxis(ax, plan: _Plan) -> None:
    n = plan.hi - plan.lo + 1
    if plan.mode == "cells" and n <= 40:
        ax.set_xticks(range(plan.lo, plan.hi + 1))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=12, integer=True, min_n_ticks=2))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{round(x):,}"))
    label = "stream sequence"
    if plan.mode == "bands":
        bins = min(BANDS, n)
        label += f"  (aggregated: {bins} bins of ~{-(-n // bins):,} seqs)"
    ax.set_xlabel(label, fontsize=8, color=MUTED, labelpad=2)


def _rects(x0, x1, y0, y1, **kw) -> PolyCollection:
    """One collection of axis-aligned rectangles (vectorised: no Patch per message)."""
    x0 = np.asarray(x0, dtype=float)
    x1 = np.asarray(x1, dtype=float)
    y0 = np.broadcast_to(np.asarray(y0, dtype=float), x0.shape)
    y1 = np.broadcast_to(np.asarray(y1, dtype=float), x0.shape)
    verts = np.stack([np.stack([x0, y0], -1), np.stack([x0, y1], -1),
                      np.stack([x1, y1], -1), np.stack([x1, y0], -1)], axis=1)
    return PolyCollection(verts, **kw)


def _gap_collection(seqs: np.ndarray, y: float, h: float) -> PolyCollection:
    return _rects(seqs - 0.45, seqs + 0.45, y - h / 2, y + h / 2, facecolor="white",
                  edgecolor=GAP_EDGE, hatch="////", linewidth=0.8, linestyle=(0, (2, 1.5)),
                  gid="gaps", zorder=2)


def _removed_seqs(snap: StreamSnapshot, lo: int, hi: int) -> np.ndarray:
    """Sequences in [lo, hi] that were stored once and are gone (below first_seq or deleted)."""
    below = np.arange(lo, min(hi, snap.first_seq - 1, snap.last_seq) + 1, dtype=np.int64)
    a = bisect.bisect_left(snap.deleted, lo)
    b = bisect.bisect_right(snap.deleted, hi)
    interior = np.asarray(snap.deleted[a:b], dtype=np.int64)
    interior = interior[(interior >= snap.first_seq) & (interior <= snap.last_seq)]
    return np.union1d(below, interior)


def _removed_count(snap: StreamSnapshot, lo: int, hi: int) -> int:
    below = max(0, min(hi, snap.first_seq - 1, snap.last_seq) - lo + 1)
    a, b = max(lo, snap.first_seq), min(hi, snap.last_seq)
    return below + (_count_between(snap.deleted, a, b) if a <= b else 0)


def _stored_in(snap: StreamSnapshot, lo: int, hi: int) -> list[int]:
    a, b = max(lo, snap.first_seq), min(hi, snap.last_seq)
    if a > b or snap.messages == 0:
        return []
    gone = set(snap.deleted[bisect.bisect_left(snap.deleted, a):
                            bisect.bisect_right(snap.deleted, b)])
    return [s for s in range(a, b + 1) if s not in gone]


def _stream_cells(ax, snap: StreamSnapshot, plan: _Plan, colors: Mapping[str, str]) -> None:
    stored = _stored_in(snap, plan.lo, plan.hi)
    by_subject: dict[str, list[int]] = {}
    for s in stored:
        by_subject.setdefault(snap.seq_subjects[s], []).append(s)
    for subject, seqs in by_subject.items():
        xs = np.asarray(seqs, dtype=float)
        ax.add_collection(_rects(xs - 0.45, xs + 0.45, -STREAM_H / 2, STREAM_H / 2,
                                 facecolor=colors.get(subject, NEUTRAL), edgecolor="white",
                                 linewidth=0.6, gid=f"subject:{subject}", zorder=2))
    gaps = _removed_seqs(snap, plan.lo, plan.hi)
    if len(gaps):
        ax.add_collection(_gap_collection(gaps, 0, STREAM_H))
    n = plan.hi - plan.lo + 1
    if n <= 40 and stored:
        # Sequence numbers in the cells: the thing a learner reads first.
        for s in stored:
            face = colors.get(snap.seq_subjects[s], NEUTRAL)
            ax.text(s, 0, str(s), ha="center", va="center", fontsize=7 if s < 1000 else 6,
                    color=_ink_on(face), fontweight="bold", zorder=3, clip_on=True)
    if snap.last_seq < plan.hi:
        _future(ax, snap.last_seq + 1, plan.hi)


def _ink_on(face: str) -> str:
    r, g, b = matplotlib.colors.to_rgb(face)
    return TEXT if 0.299 * r + 0.587 * g + 0.114 * b > 0.6 else "white"


def _future(ax, a: int, b: int) -> None:
    ax.add_collection(_rects([a - 0.5], [b + 0.5], -STREAM_H / 2, STREAM_H / 2,
                             facecolor="none", edgecolor="#d5d9dd", linestyle=":", zorder=1))


def _stream_bands(ax, snap: StreamSnapshot, plan: _Plan, colors: Mapping[str, str]) -> None:
    lo, hi = plan.lo, plan.hi
    n = hi - lo + 1
    nb = min(BANDS, n)
    edges = lo + (np.arange(nb + 1, dtype=np.int64) * n) // nb  # bin i holds [e_i, e_i+1)
    width = np.diff(edges)
    first, last = snap.first_seq, snap.last_seq
    if snap.messages > 0:
        span = np.clip(np.minimum(edges[1:], last + 1) - np.maximum(edges[:-1], first), 0, None)
        dele = np.asarray(snap.deleted, dtype=np.int64)
        dele = dele[(dele >= first) & (dele <= last)]
        gone = np.diff(np.searchsorted(dele, edges, side="left"))
        stored = np.clip(span - gone, 0, None)
    else:
        stored = np.zeros(nb, dtype=np.int64)
    frac = stored / width
    x0, x1 = edges[:-1] - 0.5, edges[1:] - 0.5
    bottom = STREAM_H / 2
    base = np.full(nb, bottom)

    # Bins that held messages once, now (partly) removed: a hatched outline of the full row.
    ever = np.clip(np.minimum(edges[1:], last + 1) - edges[:-1], 0, None)
    lost = (ever - stored) > 0
    if lost.any():
        ax.add_collection(_rects(x0[lost], x1[lost], -STREAM_H / 2, STREAM_H / 2,
                                 facecolor="white", edgecolor=GAP_EDGE, hatch="////",
                                 linewidth=0, gid="gap-bands", zorder=1))
    # Stack per-subject proportions where subjects are loaded, neutral for the rest.
    known = _known_subject_counts(snap, edges)
    used = np.zeros(nb)
    for subject, counts in known.items():
        h = counts / width * STREAM_H
        keep = h > 0
        if keep.any():
            ax.add_collection(_rects(x0[keep], x1[keep], (base - used - h)[keep],
                                     (base - used)[keep], facecolor=colors.get(subject, NEUTRAL),
                                     edgecolor="none", gid=f"subject:{subject}", zorder=2))
        used += h
    rest = frac * STREAM_H - used
    keep = rest > 1e-9
    if keep.any():
        ax.add_collection(_rects(x0[keep], x1[keep], (base - used - rest)[keep],
                                 (base - used)[keep], facecolor=NEUTRAL, edgecolor="none",
                                 gid="stored-bands", zorder=2))
    ax.add_collection(_rects([lo - 0.5], [hi + 0.5], -STREAM_H / 2, STREAM_H / 2,
                             facecolor="none", edgecolor="#c3c9cf", linewidth=0.8, zorder=3))
    if last < hi:
        _future(ax, last + 1, hi)


def _known_subject_counts(snap: StreamSnapshot, edges: np.ndarray) -> dict[str, np.ndarray]:
    if not snap.seq_subjects or len(snap.seq_subjects) > 200_000:
        return {}
    seqs = np.fromiter(snap.seq_subjects.keys(), dtype=np.int64, count=len(snap.seq_subjects))
    names, codes = np.unique(np.asarray(list(snap.seq_subjects.values()), dtype=object),
                             return_inverse=True)
    inside = (seqs >= edges[0]) & (seqs < edges[-1])
    bins = np.searchsorted(edges, seqs[inside], side="right") - 1
    nb = len(edges) - 1
    table = np.bincount(bins * len(names) + codes[inside], minlength=nb * len(names))
    table = table.reshape(nb, len(names))
    return {str(name): table[:, j] for j, name in enumerate(names) if table[:, j].any()}


def _consumer_cells(ax, snap: StreamSnapshot, c: ConsumerSnapshot, y: int, plan: _Plan) -> None:
    lo, hi = plan.lo, plan.hi
    y0, y1 = y - CONSUMER_H / 2, y + CONSUMER_H / 2
    floor, delivered = c.ack_floor_stream_seq, c.delivered_stream_seq
    if floor >= lo:
        ax.add_collection(_rects([lo - 0.5], [min(floor, hi) + 0.5], y0, y1, facecolor=DONE,
                                 edgecolor=DONE_EDGE, linewidth=0.8, gid="ack-floor", zorder=2))
    matches = _matcher(c.filter_subjects)
    stored = _stored_in(snap, lo, hi)
    unacked = set(c.unacked)
    shown_pending = [s for s in c.unacked if lo <= s <= hi]
    # Between the floor and the pointer, seqs the kit did not see pending were acked out of order.
    if c.unacked:
        acked = [s for s in stored if floor < s <= delivered and s not in unacked
                 and matches(snap.seq_subjects[s])]
        if acked:
            xs = np.asarray(acked, dtype=float)
            ax.add_collection(_rects(xs - 0.45, xs + 0.45, y0, y1, facecolor=DONE,
                                     edgecolor=DONE_EDGE, linewidth=0.8, zorder=2))
    if shown_pending:
        xs = np.asarray(shown_pending, dtype=float)
        ax.add_collection(_rects(xs - 0.45, xs + 0.45, y0, y1, facecolor=PENDING,
                                 edgecolor="white", linewidth=0.6, gid="ack-pending", zorder=3))
    if c.num_ack_pending > len(c.unacked) and delivered > floor:
        _pending_span(ax, max(floor + 1, lo), min(delivered, hi), y, c.num_ack_pending)
    for s, times in sorted(c.redelivered.items()):
        if lo <= s <= hi:
            ax.text(s + 0.42, y0 - 0.02, f"×{times}", ha="right", va="top", fontsize=7.5,
                    fontweight="bold", color=REDELIVERED, gid="redelivered", zorder=6,
                    clip_on=True, bbox={"boxstyle": "round,pad=0.12", "facecolor": "white",
                                        "edgecolor": REDELIVERED, "linewidth": 0.6})
    todo = [s for s in stored if s > delivered and matches(snap.seq_subjects[s])]
    if todo:
        xs = np.asarray(todo, dtype=float)
        ax.add_collection(_rects(xs - 0.45, xs + 0.45, y0, y1, facecolor=UNPROCESSED,
                                 edgecolor=UNPROCESSED_EDGE, linewidth=0.6, gid="unprocessed",
                                 zorder=2))
    _pointer(ax, delivered, y, plan)
    if c.num_pending:
        at = max(delivered, lo - 1)
        ax.text(at + 0.6, y1 + 0.02, f"{c.num_pending:,} unprocessed", ha="left", va="bottom",
                fontsize=7, color="#3d6a99", zorder=6, gid="unprocessed-label")


def _consumer_bands(ax, c: ConsumerSnapshot, y: int, plan: _Plan) -> None:
    lo, hi = plan.lo, plan.hi
    y0, y1 = y - CONSUMER_H / 2, y + CONSUMER_H / 2
    floor, delivered = c.ack_floor_stream_seq, c.delivered_stream_seq
    if floor >= lo:
        ax.add_collection(_rects([lo - 0.5], [min(floor, hi) + 0.5], y0, y1, facecolor=DONE,
                                 edgecolor=DONE_EDGE, linewidth=0.8, gid="ack-floor", zorder=2))
    if c.num_ack_pending and delivered > floor:
        # Keep a thin span visible even when it is a few seqs out of a million.
        a = min(max(floor + 1, lo), delivered - int((hi - lo + 1) * 0.003))
        _pending_span(ax, max(a, lo), min(delivered, hi), y, c.num_ack_pending, centred=False)
    if c.unacked:
        xs = np.asarray(c.unacked, dtype=float)
        xs = xs[(xs >= lo) & (xs <= hi)]
        ax.vlines(xs, y0, y1, colors=PENDING, linewidth=1.2, zorder=4, gid="ack-pending")
    if c.num_pending and delivered < hi:
        ax.add_collection(_rects([max(delivered, lo - 1) + 0.5], [hi + 0.5], y0, y1,
                                 facecolor=UNPROCESSED, edgecolor=UNPROCESSED_EDGE,
                                 linewidth=0.6, gid="unprocessed", zorder=2))
    if c.num_redelivered:
        at, n = min(max(delivered, lo), hi), hi - lo + 1
        near_end = at - lo > 0.75 * n
        ax.text(at + (-0.5 - n * 0.006 if near_end else 0.5 + n * 0.006), y0 - 0.02,
                f"×{c.num_redelivered:,} redelivered", ha="right" if near_end else "left",
                va="top", fontsize=7, color=REDELIVERED, zorder=6, gid="redelivered")
    _pointer(ax, delivered, y, plan)
    if c.num_pending:
        at = max(delivered, lo - 1)
        ax.text(at + 0.5 + (hi - lo + 1) * 0.004, y, f"{c.num_pending:,} unprocessed",
                ha="left", va="center", fontsize=7, color="#3d6a99", zorder=6,
                gid="unprocessed-label")


def _pending_span(ax, a: int, b: int, y: int, count: int, *, centred: bool = True) -> None:
    if b < a:
        return
    y0, y1 = y - CONSUMER_H / 2, y + CONSUMER_H / 2
    ax.add_collection(_rects([a - 0.5], [b + 0.5], y0, y1, facecolor="#fde3c8",
                             edgecolor=PENDING, hatch="xx", linewidth=0.8, gid="ack-pending-span",
                             zorder=2))
    # In bands the span is thin: the label goes left of the pointer, "unprocessed" goes right.
    x, ha = ((a + b) / 2, "center") if centred else (a - 0.5, "right")
    ax.text(x, y, f"{count:,} pending", ha=ha, va="center", fontsize=7,
            color="#8a4a0b", zorder=6, clip_on=True, gid="pending-label",
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none",
                  "alpha": 0.85})


def _pointer(ax, delivered: int, y: int, plan: _Plan) -> None:
    """The delivered pointer: a triangle on the last delivered seq, pointing at the row."""
    if delivered < plan.lo - 1 or delivered > plan.hi:
        return
    x = max(delivered, plan.lo - 0.5) if delivered >= plan.lo else plan.lo - 0.5
    ax.plot([x], [y - CONSUMER_H / 2 - 0.02], marker="v", markersize=8, color=POINTER,
            linestyle="none", zorder=7, clip_on=False, gid="delivered")
    ax.vlines([x + (0.5 if delivered >= plan.lo else 0)], y - CONSUMER_H / 2, y + CONSUMER_H / 2,
              colors=POINTER, linewidth=1.4, zorder=7)


def _matcher(filters: Iterable[str]):
    patterns = [f.split(".") for f in filters]
    if not patterns:
        return lambda _subject: True
    cache: dict[str, bool] = {}

    def matches(subject: str) -> bool:
        hit = cache.get(subject)
        if hit is None:
            tokens = subject.split(".")
            hit = cache[subject] = any(_match_tokens(p, tokens) for p in patterns)
        return hit

    return matches


def _match_tokens(pattern: list[str], tokens: list[str]) -> bool:
    for i, p in enumerate(pattern):
        if p == ">":
            return len(tokens) > i
        if i >= len(tokens) or (p != "*" and p != tokens[i]):
            return False
    return len(tokens) == len(pattern)


# ---------------------------------------------------------------------------------------------
# colours, titles, legends


def _subject_colors(snaps: Iterable[StreamSnapshot]) -> dict[str, str]:
    """Colour per subject, assigned in sorted order so before/after pictures agree."""
    names: set[str] = set()
    for s in snaps:
        names.update(s.subject_counts)
        if len(s.seq_subjects) <= 200_000:
            names.update(s.seq_subjects.values())
    return {n: SUBJECT_COLORS[i % len(SUBJECT_COLORS)] for i, n in enumerate(sorted(names))}


def _title(snap: StreamSnapshot) -> str:
    parts = [snap.name, snap.retention]
    limits = [
        ("max_msgs", snap.max_msgs, f"{snap.max_msgs:,}"),
        ("max_bytes", snap.max_bytes, _size(snap.max_bytes)),
        ("max_age", snap.max_age, _duration(snap.max_age)),
        ("max_msgs_per_subject", snap.max_msgs_per_subject, f"{snap.max_msgs_per_subject:,}"),
        ("max_msg_size", snap.max_msg_size, _size(snap.max_msg_size)),
    ]
    set_limits = [f"{name}={text}" for name, value, text in limits if value and value > 0]
    parts += set_limits
    if set_limits or snap.discard != "old":
        parts.append(f"discard {snap.discard}" + (" per subject"
                                                   if snap.discard_new_per_subject else ""))
    if snap.sealed:
        parts.append("sealed")
    return " · ".join(parts)


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:g}{unit}" if unit == "B" else f"{n:.3g}{unit}"
        n /= 1024
    return str(n)


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _legend_subjects(snaps: Sequence[StreamSnapshot], plan: _Plan) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for s in snaps:  # the later snapshot's counts win; subjects gone since still get a key
        if s.subject_counts:
            counts.update(s.subject_counts)
        else:
            seen: dict[str, int] = {}
            for subj in s.seq_subjects.values():
                seen[subj] = seen.get(subj, 0) + 1
            counts.update(seen)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _legends(ax, snaps: Sequence[StreamSnapshot], plan: _Plan, colors: Mapping[str, str], *,
             figure_legend: bool) -> None:
    snap = snaps[-1]
    coloured = plan.mode == "cells" or any(len(s.seq_subjects) for s in snaps)
    handles, labels = [], []
    subjects = _legend_subjects(snaps, plan)
    for subject, count in subjects[:MAX_LEGEND_SUBJECTS]:
        # Without per-seq subjects the tape is one neutral colour: list counts, no swatches.
        handles.append(Patch(facecolor=colors.get(subject, NEUTRAL), edgecolor="white")
                       if coloured else Patch(facecolor="none", edgecolor="none"))
        labels.append(f"{subject} ({count:,})")
    if len(subjects) > MAX_LEGEND_SUBJECTS:
        rest = sum(c for _, c in subjects[MAX_LEGEND_SUBJECTS:])
        handles.append(Patch(facecolor=NEUTRAL if coloured else "none", edgecolor="none"))
        labels.append(f"{len(subjects) - MAX_LEGEND_SUBJECTS} more subjects ({rest:,})")
    if plan.mode == "bands":
        handles.insert(0, Patch(facecolor=NEUTRAL, edgecolor="white"))
        labels.insert(0, "stored, subject not loaded (bar height = share still stored)")
    key_handles = [
        Patch(facecolor="white", edgecolor=GAP_EDGE, hatch="////", linestyle=(0, (2, 1.5))),
        Patch(facecolor=DONE, edgecolor=DONE_EDGE),
        Line2D([], [], marker="v", color=POINTER, linestyle="none", markersize=8),
        Patch(facecolor=PENDING, edgecolor="white"),
        Line2D([], [], marker="$×2$", color=REDELIVERED, linestyle="none", markersize=11),
        Patch(facecolor=UNPROCESSED, edgecolor=UNPROCESSED_EDGE),
    ]
    key_labels = ["removed (deleted, expired, acked away)", "acked (≤ ack floor)", "delivered",
                  "ack pending", "redelivered", "unprocessed"]
    if snap.messages == 0 and not subjects:
        handles, labels = [], []
    fig = ax.figure
    kw = {"frameon": False, "fontsize": 8, "handlelength": 1.3, "handleheight": 1.0,
          "columnspacing": 1.4, "labelcolor": TEXT}
    pos = ax.get_position()
    height_in = fig.get_figheight()
    anchor_y = pos.y0 - 0.5 / height_in
    if figure_legend:
        key = fig.legend(key_handles, key_labels, loc="upper left", ncols=6,
                         bbox_to_anchor=(0.02, anchor_y), **kw)
        key.set_gid("key")
        if handles:
            subj = fig.legend(handles, labels, loc="upper left", ncols=4, title="subjects",
                              title_fontsize=8, alignment="left",
                              bbox_to_anchor=(0.02, anchor_y - 0.3 / height_in), **kw)
            subj.set_gid("subjects")
            subj.get_title().set_color(MUTED)
    else:
        key = ax.legend(key_handles + handles, key_labels + labels, loc="upper left",
                        bbox_to_anchor=(0, -0.25), ncols=4, **kw)
        key.set_gid("key")


def _demo_snapshot() -> StreamSnapshot:
    """A hand-made ORDERS stream: 12 seqs, one deleted, three consumers at different places."""
    subjects = ["orders.new", "orders.paid", "orders.new", "orders.shipped", "orders.new",
                "orders.paid", "orders.new", "orders.new", "orders.paid", "orders.shipped",
                "orders.new", "orders.paid"]
    deleted = (4, 9)
    seq_subjects = {i + 1: s for i, s in enumerate(subjects) if i + 1 not in deleted}
    counts: dict[str, int] = {}
    for s in seq_subjects.values():
        counts[s] = counts.get(s, 0) + 1
    now = datetime(2025, 1, 1, tzinfo=timezone.utc)

    def consumer(name, filters, delivered, floor, pending, unacked=(), redelivered=None,
                 redel=0, paused=False):
        return ConsumerSnapshot(
            name=name, durable=True, push=False, ack_policy="explicit", deliver_policy="all",
            replay_policy="instant", filter_subjects=filters, delivered_stream_seq=delivered,
            delivered_consumer_seq=delivered, ack_floor_stream_seq=floor,
            ack_floor_consumer_seq=floor, num_ack_pending=len(unacked), num_redelivered=redel,
            num_waiting=0, num_pending=pending, unacked=unacked,
            redelivered=redelivered or {}, paused=paused)

    return StreamSnapshot(
        name="ORDERS", subjects=("orders.>",), retention="limits", storage="file",
        discard="old", discard_new_per_subject=False, max_msgs=1000, max_bytes=-1, max_age=0.0,
        max_msgs_per_subject=-1, max_msg_size=-1, duplicate_window=120.0, num_replicas=1,
        first_seq=1, last_seq=12, first_ts=now, last_ts=now, messages=10, bytes=1200,
        num_deleted=2, deleted=deleted, subject_counts=counts,
        consumers=(
            consumer("billing", (), 8, 5, 4, unacked=(6, 8), redelivered={6: 2}, redel=1),
            consumer("shipping", ("orders.paid",), 6, 6, 1),
            consumer("audit", (), 2, 2, 8, paused=True),
        ),
        taken_at=now, seq_subjects=seq_subjects, window=(1, 12),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m jslab.viz.tape [out.png]``: draw a hand-made sample stream."""
    args = list(sys.argv[1:] if argv is None else argv)
    out = args[0] if args else "tape-demo.png"
    fig = tape(_demo_snapshot())
    fig.savefig(out, dpi=110, facecolor="white")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    matplotlib.use("Agg")
    raise SystemExit(main())
