"""A stream snapshot as HTML for notebooks, with a plain-text fallback.

Built like xarray's repr: an escaped ``<pre>`` with the text rendering that shows wherever
styles are stripped (GitHub, untrusted notebooks), and rich HTML, hidden by an inline style that
the ``<style>`` block overrides, so exactly one of the two is visible. Sections fold with
``<details>`` (no JavaScript); colours come from JupyterLab's ``--jp-*`` variables, with
fallbacks, so dark themes work. Every name that comes from a user is escaped.

    >>> html = render_html(snap)
    >>> "jslab-snapshot" in html
    True
"""

from __future__ import annotations

from html import escape

from ..snapshot import ConsumerSnapshot, StreamSnapshot
from .text import (
    CONSUMER_LEGEND,
    TAPE_MAX,
    compact_ranges,
    config_items,
    consumer_marks,
    format_bytes,
    format_duration,
    render_text,
)

__all__ = ["CSS", "render_html"]

# Subject colours of the tape strip (colour-blind friendly, readable on light and dark).
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac")

CSS = """
.jslab-wrap { display: block !important; min-width: 300px; max-width: 760px;
  font-family: var(--jp-ui-font-family, sans-serif); font-size: 13px;
  color: var(--jp-content-font-color1, #222); }
.jslab-text-repr-fallback { display: none; }
.jslab-header { font-weight: 600; padding: 2px 0 4px 0; }
.jslab-header .jslab-muted { font-weight: 400; }
.jslab-muted { color: var(--jp-content-font-color2, #666); }
.jslab-section { border-top: 1px solid var(--jp-border-color2, #ddd); padding: 2px 0; }
.jslab-section > summary { cursor: pointer; font-weight: 600;
  color: var(--jp-content-font-color0, #000); }
.jslab-count { color: var(--jp-content-font-color2, #666); font-weight: 400; }
.jslab-table { border-collapse: collapse; margin: 2px 0 4px 12px; }
.jslab-table td, .jslab-table th { padding: 1px 10px 1px 0; text-align: left;
  font-family: var(--jp-code-font-family, monospace); font-size: 12px; border: none;
  background: transparent; }
.jslab-table th { color: var(--jp-content-font-color2, #666); font-weight: 400; }
.jslab-num { text-align: right !important; }
.jslab-tape { display: grid; gap: 1px; margin: 4px 0 4px 12px; align-items: center;
  font-family: var(--jp-code-font-family, monospace); font-size: 11px; }
.jslab-tape-label { padding-right: 6px; white-space: nowrap; overflow: hidden;
  color: var(--jp-content-font-color1, #222); }
.jslab-cell { height: 14px; min-width: 10px; border-radius: 2px; text-align: center;
  line-height: 14px; color: var(--jp-content-font-color1, #222); }
.jslab-gap { background: repeating-linear-gradient(45deg, transparent 0 2px,
  var(--jp-border-color2, #ccc) 2px 3px); }
.jslab-seq { color: var(--jp-content-font-color2, #666); font-size: 9px; }
.jslab-mark-acked { background: var(--jp-layout-color3, #bbb); }
.jslab-mark-floor { background: var(--jp-layout-color3, #bbb);
  box-shadow: inset -2px 0 0 var(--jp-content-font-color1, #222); }
.jslab-mark-pending { background: var(--jp-warn-color1, #f57c00); color: #fff; }
.jslab-mark-redelivered { background: var(--jp-error-color1, #d32f2f); color: #fff; }
.jslab-mark-delivered { background: var(--jp-brand-color1, #1976d2); color: #fff; }
.jslab-mark-unknown { background: var(--jp-layout-color2, #eee); }
.jslab-legend { margin: 0 0 4px 12px; font-size: 11px; color: var(--jp-content-font-color2, #666); }
"""

_MARK_CLASS = {"=": "acked", "+": "acked", "|": "floor", "^": "delivered", "*": "pending",
               "R": "redelivered", "?": "unknown"}


def _table(rows: list[tuple[str, str]], *, numeric: bool = False) -> str:
    cls = ' class="jslab-num"' if numeric else ""
    body = "".join(f"<tr><th>{escape(k)}</th><td{cls}>{escape(v)}</td></tr>" for k, v in rows)
    return f'<table class="jslab-table">{body}</table>'


def _section(title: str, count: int | None, body: str, *, open_: bool = True) -> str:
    n = f' <span class="jslab-count">({count})</span>' if count is not None else ""
    attr = " open" if open_ else ""
    return (f'<details class="jslab-section"{attr}><summary>{escape(title)}{n}</summary>'
            f"{body}</details>")


def _tape_strip(snap: StreamSnapshot) -> str:
    if snap.window is None:
        return ""
    lo, hi = snap.window
    if hi - lo + 1 > TAPE_MAX:
        return ""
    subjects = sorted(set(snap.seq_subjects.values()))
    colour = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(subjects)}
    cols = hi - lo + 1
    cells = ['<div class="jslab-tape-label">seq</div>']
    cells += [f'<div class="jslab-cell jslab-seq">{s}</div>' for s in range(lo, hi + 1)]
    cells.append('<div class="jslab-tape-label">stream</div>')
    for s in range(lo, hi + 1):
        subject = snap.seq_subjects.get(s)
        if subject is None:
            cells.append(f'<div class="jslab-cell jslab-gap" title="seq {s}: gap"></div>')
        else:
            tip = escape(f"seq {s}: {subject}", quote=True)
            cells.append(f'<div class="jslab-cell" style="background:{colour[subject]}" '
                         f'title="{tip}"></div>')
    for c in snap.consumers:
        cells.append(f'<div class="jslab-tape-label" title="{escape(c.name, quote=True)}">'
                     f"{escape(c.name)}</div>")
        for s, ch in zip(range(lo, hi + 1), consumer_marks(snap, c, lo, hi), strict=True):
            kind = _MARK_CLASS.get(ch)
            cls = f"jslab-cell jslab-mark-{kind}" if kind else "jslab-cell"
            text = escape(ch) if ch in "^R|*?" else ""
            tip = escape(f"{c.name} seq {s}: {kind or 'not delivered'}", quote=True)
            cells.append(f'<div class="{cls}" title="{tip}">{text}</div>')
    grid = (f'<div class="jslab-tape" style="grid-template-columns: max-content '
            f'repeat({cols}, minmax(10px, 1fr))">{"".join(cells)}</div>')
    key = " ".join(
        f'<span style="color:{colour[s]}">■</span> {escape(s)}' for s in subjects
    )
    legend = f'<div class="jslab-legend">{key}</div>'
    if snap.consumers:
        legend += "".join(f'<div class="jslab-legend">{escape(x)}</div>' for x in CONSUMER_LEGEND)
    return grid + legend


def _consumer_rows(c: ConsumerSnapshot) -> list[tuple[str, str]]:
    pending = str(c.num_ack_pending)
    if c.unacked:
        pending += f" (seqs {compact_ranges(c.unacked)})"
    redelivered = str(c.num_redelivered)
    if c.redelivered:
        redelivered += " (" + ", ".join(f"{s} x{n}" for s, n in sorted(c.redelivered.items())) + ")"
    rows = [
        ("kind", ("push" if c.push else "pull") + (" durable" if c.durable else " ephemeral")),
        ("policies", f"ack {c.ack_policy}, deliver {c.deliver_policy}, replay {c.replay_policy}"),
        ("filter", c.filter_label),
        ("ack floor", f"stream seq {c.ack_floor_stream_seq}, consumer seq "
                      f"{c.ack_floor_consumer_seq}"),
        ("delivered", f"stream seq {c.delivered_stream_seq}, consumer seq "
                      f"{c.delivered_consumer_seq}"),
        ("ack pending", pending),
        ("redelivered", redelivered),
        ("waiting pulls", str(c.num_waiting)),
        ("unprocessed", str(c.num_pending)),
        ("paused", "yes" if c.paused else "no"),
    ]
    if c.ack_wait is not None and c.ack_policy != "none":
        rows.append(("ack wait", format_duration(c.ack_wait)))
    if c.max_deliver is not None and c.max_deliver > 0:
        rows.append(("max deliver", str(c.max_deliver)))
    return rows


def render_html(snap: StreamSnapshot) -> str:
    """The snapshot as self-contained HTML (no JavaScript) with an escaped text fallback.

        >>> from IPython.display import HTML
        >>> HTML(render_html(snap))
    """
    fallback = f'<pre class="jslab-text-repr-fallback">{escape(render_text(snap))}</pre>'
    subjects = ", ".join(snap.subjects) or "no subjects"
    header = (f'<div class="jslab-header">Stream {escape(snap.name)} '
              f'<span class="jslab-muted">({escape(subjects)})</span></div>')

    config = _section("Configuration", None, _table(config_items(snap)), open_=False)

    state_rows = [
        ("first seq", str(snap.first_seq)),
        ("last seq", str(snap.last_seq)),
        ("messages", f"{snap.messages:,}"),
        ("bytes", format_bytes(snap.bytes)),
        ("deleted", f"{snap.num_deleted}"
                    + (f": {compact_ranges(snap.deleted)}" if snap.deleted else "")),
    ]
    state = _section("State", None, _table(state_rows) + _tape_strip(snap))

    counts = sorted(snap.subject_counts.items())
    subject_rows = [(s, f"{n:,}") for s, n in counts[:200]]
    if len(counts) > 200:
        subject_rows.append((f"… {len(counts) - 200} more", ""))
    subjects_html = _section("Subjects", len(counts), _table(subject_rows, numeric=True),
                             open_=len(counts) <= 10)

    consumer_parts = [
        _section(c.name, None, _table(_consumer_rows(c))) for c in snap.consumers
    ]
    consumers = _section("Consumers", len(snap.consumers), "".join(consumer_parts))

    rich = header + config + state + subjects_html + consumers
    return (f"<div><style>{CSS}</style>{fallback}"
            f'<div class="jslab-wrap jslab-snapshot" style="display:none">{rich}</div></div>')
