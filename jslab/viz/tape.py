"""The tape: a stream drawn as a row of sequence numbers, with every consumer's state on it.

The top row is the stream, one cell per sequence coloured by subject (the same colour for a
subject in every picture); removed sequences (deleted, expired, acked away, purged) are hatched
outlines, in their subject's colour when the kit knows it. Below it, one row per consumer with
the state it was provably in on each sequence (see `jslab.states`): before its start point,
not for it, acked, acked above the ack floor, ack pending, redelivered, given up, terminated,
unprocessed, or "not known". A triangle marks the last delivered sequence once something was
delivered; a bar marks the ack floor once something was done. The legend lists exactly the
marks in the figure. Wide ranges are drawn as aggregated bands instead of cells.

    >>> fig = tape(lab.snapshot("ORDERS"))
    >>> fig = tapes([snap_a, snap_b, snap_c], titles=["a", "b", "c"], window=(1, 6))
"""

from __future__ import annotations

import bisect
import sys
from collections.abc import Mapping, Sequence
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

from .. import formatting
from ..snapshot import ConsumerSnapshot, StreamSnapshot
from ..states import STATES, StateRun
from .figures import new_figure
from .style import GAP_EDGE, NEUTRAL, STATE_STYLES, subject_colors

__all__ = ["CELL_WINDOW", "tape", "tape_compare", "tapes"]

POINTER = "#1f2d3d"
REPLICA_FACE = "#6fa99b"  # a server's copy of the stream
FLOOR = "#1f2d3d"
TEXT = "#1f2d3d"
MUTED = "#5f6b76"
PENDING_SPAN = "#fde3c8"
PENDING_EDGE = "#f28e2b"
DONE_BAND = "#dfe8dc"
DONE_BAND_EDGE = "#9fb09a"

STREAM_H = 0.8  # row heights in data units; rows sit one unit apart
CONSUMER_H = 0.62
BANDS = 300  # bins when the tape is aggregated
CELL_WINDOW = 200  # a window of at most this many seqs is always drawn one cell per seq
LABELS_UP_TO = 40  # cells carry their seq number (and ×N) up to this many seqs
MAX_LEGEND_SUBJECTS = 11
WIDTH_IN = 10.0
LEGEND_COLS = 3


@dataclass(frozen=True)
class _Plan:
    lo: int
    hi: int
    mode: str  # "cells" | "bands" | "empty"


class _Marks:
    """The legend entries of one figure, in order, each once: exactly what was drawn."""

    def __init__(self) -> None:
        self.subjects: dict[str, tuple[str, int]] = {}  # subject -> (colour, stored count)
        self.coloured = False
        self.entries: dict[str, tuple[object, str]] = {}

    def add(self, key: str, handle: object, label: str) -> None:
        self.entries.setdefault(key, (handle, label))

    def state(self, name: str) -> None:
        st = STATE_STYLES[name]
        self.add(f"state:{name}", _swatch(st.face, st.edge, st.hatch), STATES[name].label)


def _swatch(face: str, edge: str, hatch: str = "", linestyle="solid") -> Patch:
    return Patch(facecolor=face, edgecolor=edge if edge != "none" else face, hatch=hatch,
                 linestyle=linestyle, linewidth=0.8)


# ---------------------------------------------------------------------------------------------
# public API


def tape(
    snap: StreamSnapshot,
    *,
    window: tuple[int, int] | None = None,
    ax=None,
    title: str | None = None,
    max_cells: int = 2000,
    legend: bool = True,
    color_key=None,
) -> Figure:
    """Draw ``snap`` as a tape of sequence numbers with each consumer's state on it.

    ``window=(lo, hi)`` limits the tape to those sequences (default: the stored range, widened
    to the left to every consumer's ack floor plus a few removed seqs, so that discarded,
    purged or acked-away messages show as gaps). A window of up to 200 seqs is one cell per
    seq; wider than ``max_cells`` seqs, or without subjects for the range, the tape is drawn
    as aggregated bands. Pass ``ax`` to draw into an existing Axes (its legend goes below it;
    ``legend=False`` leaves it out). For several snapshots in one figure use `tapes`.
    ``color_key`` maps a subject to what decides its colour (default: the subject itself).

        >>> fig = tape(snap)                      # displays inline in Jupyter
        >>> fig = tape(snap, window=(1, 50))
    """
    plan = _plan(snap, window, max_cells)
    colors = _colors(_subjects_in([snap], [plan]), color_key)
    marks = _Marks()
    own = ax is None
    if own:
        fig, (ax,) = _new_figure([_rows_below(snap)])
    else:
        fig = ax.figure
    _draw(ax, snap, plan, colors, title if title is not None else _title(snap), marks)
    if own:
        _layout(fig, [ax], [_rows_below(snap)], _legend_rows(marks) if legend else 0)
    if legend:
        _legend(fig, ax, marks, figure_legend=own)
    return fig


def tapes(
    snaps: Sequence[StreamSnapshot],
    *,
    titles: Sequence[str] | None = None,
    window: tuple[int, int] | None = None,
    max_cells: int = 2000,
    same_range: bool = True,
    color_key=None,
) -> Figure:
    """Several tapes stacked in one figure with one legend and one colour per subject.

    ``same_range`` (the default) draws every panel on the same sequence range, so positions
    compare; pass ``window`` to choose it. Panels of different streams work too; their
    subjects differ (streams never share subjects), so ``color_key`` can say what decides a
    colour, e.g. the last token, to colour ``keep.orders`` and ``queue.orders`` alike.

        >>> fig = tapes([lab.snapshot(s) for s in ("KEEP", "QUEUE", "WATCH")],
        ...             titles=["limits", "workqueue", "interest"], window=(1, 6),
        ...             color_key=lambda subject: subject.split(".")[-1])
    """
    snaps = list(snaps)
    if not snaps:
        raise ValueError("tapes() needs at least one snapshot")
    if titles is not None and len(titles) != len(snaps):
        raise ValueError(f"{len(titles)} titles for {len(snaps)} snapshots: give one each")
    plans = [_plan(s, window, max_cells) for s in snaps]
    if same_range and window is None:
        real = [p for p in plans if p.mode != "empty"]
        if real:
            lo, hi = min(p.lo for p in real), max(p.hi for p in real)
            plans = [_plan(s, (lo, hi), max_cells, auto=True) for s in snaps]
    if same_range and any(p.mode == "bands" for p in plans):
        # The same drawing on every panel, or the eye compares styles instead of positions.
        plans = [_Plan(p.lo, p.hi, "bands" if p.mode != "empty" else p.mode) for p in plans]
    colors = _colors(_subjects_in(snaps, plans), color_key)
    counts = [_rows_below(s) for s in snaps]
    fig, axes = _new_figure(counts)
    marks = _Marks()
    names = titles if titles is not None else [None] * len(snaps)
    for ax, snap, plan, label in zip(axes, snaps, plans, names, strict=True):
        head = _title(snap) if label is None else f"{label}: {_title(snap)}"
        _draw(ax, snap, plan, colors, head, marks)
    _layout(fig, axes, counts, _legend_rows(marks))
    if same_range and len(axes) > 1:
        for ax in axes[:-1]:
            ax.sharex(axes[-1])
            ax.tick_params(labelbottom=True)
    _legend(fig, axes[-1], marks, figure_legend=True)
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

    A removed cell of the "after" panel keeps the subject it had "before".

        >>> fig = tape_compare(snap_before, snap_after, titles=("before", "after ack"))
    """
    if after.name == before.name:
        known = {s: subj for s, subj in before.seq_subjects.items()
                 if not after.is_stored(s) and s not in after.removed_subjects}
        if known:
            import dataclasses

            after = dataclasses.replace(after, removed_subjects={**after.removed_subjects,
                                                                 **known})
    return tapes([before, after], titles=list(titles), window=window, max_cells=max_cells)


# ---------------------------------------------------------------------------------------------
# planning: which sequences, cells or bands


def _auto_range(snap: StreamSnapshot) -> tuple[int, int]:
    span = snap.state_range
    if span is not None and span[0] <= snap.first_seq:
        return span[0], max(span[1], snap.last_seq)
    lo, hi = snap.first_seq, snap.last_seq
    floors = [c.ack_floor_stream_seq + 1 for c in snap.consumers]
    if floors:
        lo = min(lo, *floors)
    if lo > hi:  # purged: show the last removed sequences
        lo = hi - 19
    else:
        lo -= max(4, (hi - lo + 1) // 4)
    return max(lo, 1), hi


def _plan(snap: StreamSnapshot, window: tuple[int, int] | None, max_cells: int,
          auto: bool = False) -> _Plan:
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
        lo, hi = _auto_range(snap)
    n = hi - lo + 1
    if window is not None and not auto and n <= CELL_WINDOW:
        return _Plan(lo, hi, "cells")
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


def _colors(subjects: set[str], color_key) -> dict[str, str]:
    if color_key is None:
        return subject_colors(subjects)
    keys = {s: str(color_key(s)) for s in subjects}
    by_key = subject_colors(set(keys.values()))
    return {s: by_key[k] for s, k in keys.items()}


def _subjects_in(snaps: Sequence[StreamSnapshot], plans: Sequence[_Plan]) -> set[str]:
    names: set[str] = set()
    for s, p in zip(snaps, plans, strict=True):
        names.update(s.subject_counts)
        if p.mode == "cells":
            names.update(x for x in map(s.subject_of, range(p.lo, p.hi + 1)) if x)
        elif len(s.seq_subjects) <= 200_000:
            names.update(s.seq_subjects.values())
    return names


# ---------------------------------------------------------------------------------------------
# figure and layout


def _new_figure(consumer_counts: list[int]):
    """A white figure with one tape Axes per entry (placed for real by `_layout`)."""
    fig = new_figure(WIDTH_IN, 3)
    axes = [fig.add_axes((0.2, 0.2, 0.7, 0.6)) for _ in consumer_counts]
    return fig, axes


def _layout(fig, axes, consumer_counts: list[int], legend_rows: int) -> None:
    """Size the figure in inches, so text never squeezes, and place the Axes in it."""
    top_in, xaxis_in, left_in, right_in = 0.45, 0.45, 2.1, 0.9
    legend_in = 0.22 * legend_rows + 0.3 if legend_rows else 0.0
    heights = [0.95 + 0.5 * n for n in consumer_counts]
    gap_in = 0.95
    height = top_in + sum(heights) + (len(heights) - 1) * gap_in + xaxis_in + legend_in
    fig.set_size_inches(WIDTH_IN, height)
    y = height - top_in
    for ax, h in zip(axes, heights, strict=True):
        y -= h
        ax.set_position((left_in / WIDTH_IN, y / height, 1 - (left_in + right_in) / WIDTH_IN,
                         h / height))
        y -= gap_in


def _legend_rows(marks: _Marks) -> int:
    subjects = min(len(marks.subjects), MAX_LEGEND_SUBJECTS + 1)
    rows = -(-subjects // 4) if subjects else 0
    return rows + -(-len(marks.entries) // LEGEND_COLS)


# ---------------------------------------------------------------------------------------------
# drawing


def _draw(ax, snap: StreamSnapshot, plan: _Plan, colors: Mapping[str, str], title: str,
          marks: _Marks) -> None:
    ax.set_facecolor("white")
    copies = _replica_rows(snap)
    n_rows = 1 + len(copies) + len(snap.consumers)
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
        _stream_cells(ax, snap, plan, colors, marks)
    else:
        _stream_bands(ax, snap, plan, colors, marks)
    stream_note = f"{formatting.count(snap.messages)} msgs"
    removed = _removed_count(snap, plan.lo, plan.hi) if plan.mode != "empty" else 0
    if removed:
        stream_note += f" · {formatting.count(removed)} removed"
    if snap.cluster is not None and snap.cluster.leader:
        stream_note += f" · leader {snap.cluster.leader}"
    _row_label(ax, label, 0, "stream", stream_note)

    for i, node in enumerate(copies, start=1):
        _replica_row(ax, label, snap, node, i, plan, marks)

    for i, c in enumerate(snap.consumers, start=1 + len(copies)):
        ax.add_collection(_rects([plan.lo - 0.5], [plan.hi + 0.5], i - CONSUMER_H / 2,
                                 i + CONSUMER_H / 2, facecolor="#f7f8f9", edgecolor="none",
                                 zorder=0))
        if plan.mode == "cells":
            _consumer_cells(ax, snap, c, i, plan, marks)
        elif plan.mode == "bands":
            _consumer_bands(ax, c, i, plan, marks)
        parts = [c.filter_label] if c.filter_subjects else []
        parts.append(f"ack {c.ack_policy}")
        if c.deliver_policy != "all":
            parts.append(f"deliver {c.deliver_policy}")
        detail = " · ".join(parts)
        _row_label(ax, label, i, c.name + ("  [paused]" if c.paused else ""), detail,
                   paused=c.paused)


def _rows_below(snap: StreamSnapshot) -> int:
    """Rows under the stream row: one per replica of a replicated stream, one per consumer."""
    return len(_replica_rows(snap)) + len(snap.consumers)


def _replica_rows(snap: StreamSnapshot) -> tuple:
    group = snap.cluster
    return group.nodes if group is not None and group.replicated else ()


def _replica_row(ax, label, snap: StreamSnapshot, node, y: int, plan: _Plan,
                 marks: _Marks) -> None:
    """How far one server's copy reaches: solid up to its last seq, hatched where it has yet
    to catch up; a node whose copy nobody could read says why instead."""
    h = CONSUMER_H * 0.55
    lo, hi = plan.lo, plan.hi
    last = node.last_seq if node.last_seq is not None else (
        snap.last_seq if node.leader or (node.current and not node.offline) else None)
    if last is not None and plan.mode != "empty":
        have = min(last, hi)
        if have >= lo:
            ax.add_collection(_rects([lo - 0.5], [have + 0.5], y - h / 2, y + h / 2,
                                     facecolor=REPLICA_FACE, edgecolor="none", zorder=2))
            marks.add("mark:replica", _swatch(REPLICA_FACE, REPLICA_FACE),
                      "this server's copy holds it")
        if last < snap.last_seq and last < hi:
            a = max(last + 1, lo)
            ax.add_collection(_rects([a - 0.5], [hi + 0.5], y - h / 2, y + h / 2,
                                     facecolor="white", edgecolor=REPLICA_FACE, hatch="////",
                                     linewidth=0.6, zorder=2))
            marks.add("mark:catching-up", _swatch("white", REPLICA_FACE, "////"),
                      "not replicated to this server yet")
    elif last is None:
        why = ("offline: the leader cannot reach it" if node.offline
               else f"{node.status} (its copy was not read)")
        ax.text(0.5, y, why, transform=label, ha="center", va="center", fontsize=8,
                color="#c0392b" if node.offline else MUTED, style="italic")
    detail = node.status + (f" · lag {node.lag}" if node.lag and not node.leader else "")
    if node.last_seq is not None and node.messages is not None:
        detail += f" · {formatting.count(node.messages)} msgs"
    _row_label(ax, label, y, f"replica {node.name}", detail)


def _row_label(ax, transform, y: float, name: str, detail: str, *, paused: bool = False) -> None:
    ax.text(-0.015, y - 0.06, _clip(name, 30), transform=transform, ha="right", va="bottom",
            fontsize=9.5, fontweight="bold", color="#c0392b" if paused else TEXT,
            gid="row-label")
    ax.text(-0.015, y - 0.02, _clip(detail, 40), transform=transform, ha="right", va="top",
            fontsize=7.5, color=MUTED, linespacing=1.1)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _format_xaxis(ax, plan: _Plan) -> None:
    n = plan.hi - plan.lo + 1
    if plan.mode == "cells" and n <= LABELS_UP_TO:
        ax.set_xticks(range(plan.lo, plan.hi + 1))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=12, integer=True, min_n_ticks=2))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: formatting.count(round(x))))
    label = "stream sequence"
    if plan.mode == "bands":
        bins = min(BANDS, n)
        label += f"  (aggregated: {bins} bins of ~{formatting.count(-(-n // bins))} seqs)"
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


def _stream_cells(ax, snap: StreamSnapshot, plan: _Plan, colors: Mapping[str, str],
                  marks: _Marks) -> None:
    stored = _stored_in(snap, plan.lo, plan.hi)
    by_subject: dict[str | None, list[int]] = {}
    for s in stored:
        by_subject.setdefault(snap.seq_subjects.get(s), []).append(s)
    for subject, seqs in sorted(by_subject.items(), key=lambda kv: kv[0] or ""):
        xs = np.asarray(seqs, dtype=float)
        face = colors.get(subject, NEUTRAL) if subject is not None else NEUTRAL
        ax.add_collection(_rects(xs - 0.45, xs + 0.45, -STREAM_H / 2, STREAM_H / 2,
                                 facecolor=face, edgecolor="white", linewidth=0.6,
                                 gid=f"subject:{subject}" if subject else "subject-unknown",
                                 zorder=2))
        if subject is None:
            marks.add("stream:unloaded", _swatch(NEUTRAL, "white"),
                      "stored, subject not loaded (snapshot window)")
        else:
            marks.subjects.setdefault(subject, (face, snap.subject_counts.get(subject, 0)))
            marks.coloured = True
    gaps = _removed_seqs(snap, plan.lo, plan.hi)
    if len(gaps):
        known: dict[str, list[int]] = {}
        unknown: list[int] = []
        for s in gaps.tolist():
            subject = snap.removed_subjects.get(s)
            if subject is None:
                unknown.append(s)
            else:
                known.setdefault(subject, []).append(s)
        for subject, seqs in sorted(known.items()):
            xs = np.asarray(seqs, dtype=float)
            face = colors.get(subject, NEUTRAL)
            ax.add_collection(_rects(xs - 0.42, xs + 0.42, -STREAM_H / 2 + 0.03,
                                     STREAM_H / 2 - 0.03, facecolor="white", edgecolor=face,
                                     hatch="////", linewidth=1.4, gid="gaps", zorder=2))
            marks.subjects.setdefault(subject, (face, snap.subject_counts.get(subject, 0)))
            marks.coloured = True
        if unknown:
            xs = np.asarray(unknown, dtype=float)
            ax.add_collection(_rects(xs - 0.42, xs + 0.42, -STREAM_H / 2 + 0.03,
                                     STREAM_H / 2 - 0.03, facecolor="white", edgecolor=GAP_EDGE,
                                     hatch="////", linewidth=0.8, linestyle=(0, (2, 1.5)),
                                     gid="gaps", zorder=2))
        if known:
            marks.add("stream:removed", _swatch("white", colors.get(min(known), GAP_EDGE),
                                                "////"),
                      "removed (deleted, expired, acked away): outline in its subject's colour")
        else:
            marks.add("stream:removed", _swatch("white", GAP_EDGE, "////"),
                      "removed (deleted, expired, acked away)")
        if known and unknown:
            marks.add("stream:removed-unknown", _swatch("white", GAP_EDGE, "////", "dashed"),
                      "removed, subject not known")
    n = plan.hi - plan.lo + 1
    if n <= LABELS_UP_TO and stored:
        # Sequence numbers in the cells: the thing a learner reads first.
        for s in stored:
            subject = snap.seq_subjects.get(s)
            face = colors.get(subject, NEUTRAL) if subject else NEUTRAL
            ax.text(s, 0, str(s), ha="center", va="center", fontsize=7 if s < 1000 else 6,
                    color=_ink_on(face), fontweight="bold", zorder=3, clip_on=True)
    if snap.last_seq < plan.hi:
        _future(ax, max(snap.last_seq + 1, plan.lo), plan.hi, marks)


def _ink_on(face: str) -> str:
    r, g, b = matplotlib.colors.to_rgb(face)
    return TEXT if 0.299 * r + 0.587 * g + 0.114 * b > 0.6 else "white"


def _future(ax, a: int, b: int, marks: _Marks) -> None:
    ax.add_collection(_rects([a - 0.5], [b + 0.5], -STREAM_H / 2, STREAM_H / 2,
                             facecolor="none", edgecolor="#c3c9cf", linestyle=":", zorder=1,
                             gid="future"))
    marks.add("stream:future", _swatch("white", "#c3c9cf", linestyle="dotted"),
              "not published yet")


def _stream_bands(ax, snap: StreamSnapshot, plan: _Plan, colors: Mapping[str, str],
                  marks: _Marks) -> None:
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
        marks.add("stream:removed", _swatch("white", GAP_EDGE, "////"),
                  "removed (deleted, expired, acked away)")
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
            marks.coloured = True
        used += h
    rest = frac * STREAM_H - used
    keep = rest > 1e-9
    if keep.any():
        ax.add_collection(_rects(x0[keep], x1[keep], (base - used - rest)[keep],
                                 (base - used)[keep], facecolor=NEUTRAL, edgecolor="none",
                                 gid="stored-bands", zorder=2))
        marks.add("stream:bands", _swatch(NEUTRAL, "white"),
                  "stored, subject not loaded (bar height = share still stored)")
    for subject, count in snap.subject_counts.items():
        marks.subjects.setdefault(subject, (colors.get(subject, NEUTRAL), count))
    ax.add_collection(_rects([lo - 0.5], [hi + 0.5], -STREAM_H / 2, STREAM_H / 2,
                             facecolor="none", edgecolor="#c3c9cf", linewidth=0.8, zorder=3))
    if last < hi:
        _future(ax, max(last + 1, lo), hi, marks)


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


def _consumer_cells(ax, snap: StreamSnapshot, c: ConsumerSnapshot, y: int, plan: _Plan,
                    marks: _Marks) -> None:
    runs: tuple[StateRun, ...] = snap.consumer_states(c, plan.lo, plan.hi)
    by_state: dict[str, list[int]] = {}
    for run in runs:
        by_state.setdefault(run.state, []).extend(range(run.first, run.last + 1))
    n = plan.hi - plan.lo + 1
    for name in STATES:
        seqs = by_state.get(name)
        if not seqs or name == "removed":
            continue
        st = STATE_STYLES[name]
        xs = np.asarray(seqs, dtype=float)
        h = CONSUMER_H * st.height
        ax.add_collection(_rects(xs - 0.45, xs + 0.45, y - h / 2, y + h / 2,
                                 facecolor=st.face, edgecolor=st.edge, hatch=st.hatch or None,
                                 linewidth=0.6, gid=f"state:{name}", zorder=2))
        marks.state(name)
        if n <= LABELS_UP_TO * 1.5:
            for s in seqs:
                text = {"redelivered": f"×{c.times(s) or ''}", "given_up": f"×{c.times(s) or ''}",
                        "terminated": "X", "unknown": "?"}.get(name)
                if text:
                    ax.text(s, y, text, ha="center", va="center", fontsize=7, color=st.ink,
                            fontweight="bold", zorder=4, clip_on=True, gid=f"label:{name}")
    _floor(ax, c, y, plan, marks)
    _pointer(ax, c, y, plan, marks)
    if c.num_pending:
        at = max(c.delivered_stream_seq, plan.lo - 1)
        if at < plan.hi:
            ax.text(at + 0.6, y + CONSUMER_H / 2 + 0.02,
                    f"{formatting.count(c.num_pending)} unprocessed", ha="left", va="bottom",
                    fontsize=7, color="#3d6a99", zorder=6, gid="unprocessed-label",
                    clip_on=True)


def _consumer_bands(ax, c: ConsumerSnapshot, y: int, plan: _Plan, marks: _Marks) -> None:
    lo, hi = plan.lo, plan.hi
    n = hi - lo + 1
    y0, y1 = y - CONSUMER_H / 2, y + CONSUMER_H / 2
    floor, delivered = c.ack_floor_stream_seq, c.delivered_stream_seq
    start = c.start_seq
    done_from = lo
    if start is not None and start > lo:
        st = STATE_STYLES["before_start"]
        ax.add_collection(_rects([lo - 0.5], [min(start - 1, hi) + 0.5], y0, y1,
                                 facecolor=st.face, edgecolor="none", gid="state:before_start",
                                 zorder=1))
        marks.state("before_start")
        done_from = start
    if floor >= done_from and c.ack_floor_consumer_seq > 0:
        ax.add_collection(_rects([done_from - 0.5], [min(floor, hi) + 0.5], y0, y1,
                                 facecolor=DONE_BAND, edgecolor=DONE_BAND_EDGE, linewidth=0.8,
                                 gid="done-band", zorder=2))
        marks.add("band:done", _swatch(DONE_BAND, DONE_BAND_EDGE),
                  "≤ ack floor: done (acked, termed or skipped)")
    if c.num_ack_pending and delivered > floor:
        # Keep a thin span visible even when it is a few seqs out of a million.
        a = min(max(floor + 1, lo), delivered - int(n * 0.003))
        _pending_span(ax, max(a, lo), min(delivered, hi), y, c.num_ack_pending, marks)
    if c.unacked:
        xs = np.asarray(c.unacked, dtype=float)
        xs = xs[(xs >= lo) & (xs <= hi)]
        if len(xs):
            ax.vlines(xs, y0, y1, colors=STATE_STYLES["pending"].face, linewidth=1.2, zorder=4,
                      gid="state:pending")
            marks.state("pending")
    if c.num_pending and delivered < hi:
        st = STATE_STYLES["unprocessed"]
        ax.add_collection(_rects([max(delivered, lo - 1) + 0.5], [hi + 0.5], y0, y1,
                                 facecolor=st.face, edgecolor=st.edge, linewidth=0.6,
                                 gid="state:unprocessed", zorder=2))
        marks.state("unprocessed")
    if c.num_redelivered:
        at = min(max(delivered, lo), hi)
        near_end = at - lo > 0.75 * n
        ax.text(at + (-0.5 - n * 0.006 if near_end else 0.5 + n * 0.006), y0 - 0.02,
                f"×{formatting.count(c.num_redelivered)} redelivered",
                ha="right" if near_end else "left", va="top", fontsize=7, color="#c0392b",
                zorder=6, gid="redelivered")
    _floor(ax, c, y, plan, marks)
    _pointer(ax, c, y, plan, marks)
    if c.num_pending:
        at = max(delivered, lo - 1)
        ax.text(at + 0.5 + n * 0.004, y, f"{formatting.count(c.num_pending)} unprocessed",
                ha="left", va="center", fontsize=7, color="#3d6a99", zorder=6,
                gid="unprocessed-label")


def _pending_span(ax, a: int, b: int, y: int, count: int, marks: _Marks) -> None:
    if b < a:
        return
    y0, y1 = y - CONSUMER_H / 2, y + CONSUMER_H / 2
    ax.add_collection(_rects([a - 0.5], [b + 0.5], y0, y1, facecolor=PENDING_SPAN,
                             edgecolor=PENDING_EDGE, hatch="xx", linewidth=0.8,
                             gid="ack-pending-span", zorder=2))
    marks.add("band:pending", _swatch(PENDING_SPAN, PENDING_EDGE, "xx"),
              "ack pending somewhere here (count shown)")
    # The label goes left of the span; "unprocessed" goes right of the pointer.
    ax.text(a - 0.5, y, f"{formatting.count(count)} pending", ha="right", va="center",
            fontsize=7, color="#8a4a0b", zorder=6, clip_on=True, gid="pending-label",
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none",
                  "alpha": 0.85})


def _floor(ax, c: ConsumerSnapshot, y: int, plan: _Plan, marks: _Marks) -> None:
    """The ack floor: a bar right of the last seq at or below it, once something was done."""
    floor = c.ack_floor_stream_seq
    if c.ack_policy == "none" or c.ack_floor_consumer_seq <= 0:
        return
    if not plan.lo - 1 <= floor <= plan.hi:
        return
    x = floor + 0.5
    ax.vlines([x], y - CONSUMER_H / 2 - 0.08, y + CONSUMER_H / 2 + 0.08, colors=FLOOR,
              linewidth=2.2, zorder=7, gid="ack-floor")
    marks.add("mark:floor", Line2D([], [], color=FLOOR, linewidth=2.2, marker="|",
                                   markersize=10, linestyle="none"),
              "ack floor (everything left of it is done)")


def _pointer(ax, c: ConsumerSnapshot, y: int, plan: _Plan, marks: _Marks) -> None:
    """The delivered pointer: a triangle above the last delivered seq, once one was."""
    delivered = c.delivered_stream_seq
    if not c.delivered_any or delivered < plan.lo or delivered > plan.hi:
        return
    ax.plot([delivered], [y - CONSUMER_H / 2 - 0.04], marker="v", markersize=7, color=POINTER,
            linestyle="none", zorder=8, clip_on=False, gid="delivered")
    marks.add("mark:delivered", Line2D([], [], marker="v", color=POINTER, linestyle="none",
                                       markersize=7), "last delivered")


# ---------------------------------------------------------------------------------------------
# titles, legends


def _title(snap: StreamSnapshot) -> str:
    parts = [snap.name, snap.retention]
    if snap.num_replicas > 1:
        parts.append(f"R{snap.num_replicas}")
    set_limits = [f"{k}={v}" for k, v in formatting.limit_items({
        "max_msgs": snap.max_msgs, "max_bytes": snap.max_bytes, "max_age": snap.max_age,
        "max_msgs_per_subject": snap.max_msgs_per_subject, "max_msg_size": snap.max_msg_size,
    })]
    parts += set_limits
    if set_limits or snap.discard != "old":
        parts.append(f"discard {snap.discard}" + (" per subject"
                                                   if snap.discard_new_per_subject else ""))
    if snap.sealed:
        parts.append("sealed")
    return " · ".join(parts)


_STATE_ORDER = {name: i for i, name in enumerate(STATES)}
_GROUP_ORDER = {"stream": 0, "mark": 1, "state": 2, "band": 3}


def _entry_order(key: str) -> tuple[int, int, str]:
    group, _, name = key.partition(":")
    return _GROUP_ORDER.get(group, 9), _STATE_ORDER.get(name, 0), name


def _legend(fig, ax, marks: _Marks, *, figure_legend: bool) -> None:
    kw = {"frameon": False, "fontsize": 8, "handlelength": 1.3, "handleheight": 1.0,
          "columnspacing": 1.4, "labelcolor": TEXT}
    subjects = sorted(marks.subjects.items(), key=lambda kv: (-kv[1][1], kv[0]))
    s_handles, s_labels = [], []
    for subject, (color, count) in subjects[:MAX_LEGEND_SUBJECTS]:
        s_handles.append(Patch(facecolor=color, edgecolor="white") if marks.coloured
                         else Patch(facecolor="none", edgecolor="none"))
        s_labels.append(f"{subject} ({formatting.count(count) if count else 'none stored'})")
    if len(subjects) > MAX_LEGEND_SUBJECTS:
        rest = sum(c for _, (_, c) in subjects[MAX_LEGEND_SUBJECTS:])
        s_handles.append(Patch(facecolor=NEUTRAL if marks.coloured else "none", edgecolor="none"))
        s_labels.append(f"{len(subjects) - MAX_LEGEND_SUBJECTS} more subjects "
                        f"({formatting.count(rest)})")
    entries = sorted(marks.entries.items(), key=lambda kv: _entry_order(kv[0]))
    k_handles = [h for _, (h, _) in entries]
    k_labels = [label for _, (_, label) in entries]
    if not s_handles and not k_handles:
        return
    if figure_legend:
        height_in = fig.get_figheight()
        anchor_y = ax.get_position().y0 - 0.5 / height_in
        if s_handles:
            subj = fig.legend(s_handles, s_labels, loc="upper left", ncols=4,
                              bbox_to_anchor=(0.02, anchor_y), **kw)
            subj.set_gid("subjects")
            anchor_y -= 0.22 * -(-len(s_handles) // 4) / height_in
        if k_handles:
            key = fig.legend(k_handles, k_labels, loc="upper left", ncols=LEGEND_COLS,
                             bbox_to_anchor=(0.02, anchor_y), **kw)
            key.set_gid("key")
    else:
        key = ax.legend(s_handles + k_handles, s_labels + k_labels, loc="upper left",
                        bbox_to_anchor=(0, -0.22), ncols=LEGEND_COLS, **kw)
        key.set_gid("key")


# ---------------------------------------------------------------------------------------------
# a sample


def _demo_snapshot() -> StreamSnapshot:
    """A hand-made ORDERS stream: 12 seqs, two deleted, three consumers at different places."""
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
                 redel=0, paused=False, **kw):
        return ConsumerSnapshot(
            name=name, durable=True, push=False, ack_policy="explicit", deliver_policy="all",
            replay_policy="instant", filter_subjects=filters, delivered_stream_seq=delivered,
            delivered_consumer_seq=delivered + redel, ack_floor_stream_seq=floor,
            ack_floor_consumer_seq=floor, num_ack_pending=len(unacked), num_redelivered=redel,
            num_waiting=0, num_pending=pending, unacked=unacked,
            redelivered=redelivered or {}, paused=paused, start_seq=1, start_note="deliver all",
            **kw)

    return StreamSnapshot(
        name="ORDERS", subjects=("orders.>",), retention="limits", storage="file",
        discard="old", discard_new_per_subject=False, max_msgs=1000, max_bytes=-1, max_age=0.0,
        max_msgs_per_subject=-1, max_msg_size=-1, duplicate_window=120.0, num_replicas=1,
        first_seq=1, last_seq=12, first_ts=now, last_ts=now, messages=10, bytes=1200,
        num_deleted=2, deleted=deleted, subject_counts=counts,
        consumers=(
            consumer("billing", (), 8, 5, 4, unacked=(6, 8), redelivered={6: 2}, redel=1,
                     acked=((1, 2), (5, 5), (7, 7)), terminated=((3, 3),),
                     kit_delivered=((1, 8),)),
            consumer("shipping", ("orders.paid",), 6, 6, 1, acked=((2, 2), (6, 6))),
            consumer("audit", (), 2, 2, 8, paused=True, acked=((1, 2),)),
        ),
        taken_at=now, seq_subjects=seq_subjects, window=(1, 12),
        removed_subjects={4: "orders.shipped", 9: "orders.paid"},
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
