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

from .. import formatting
from ..snapshot import ConsumerSnapshot, StreamSnapshot
from ..states import STATES
from .style import GAP_EDGE, STATE_STYLES, subject_colors
from .text import TAPE_MAX, config_items, render_text, start_text

__all__ = ["CSS", "render_html"]

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
.jslab-legend { margin: 0 0 4px 12px; font-size: 11px; color: var(--jp-content-font-color2, #666); }
.jslab-swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
  vertical-align: -1px; margin-right: 3px; }
"""


def _state_css(name: str) -> str:
    st = STATE_STYLES[name]
    if name == "removed":
        return "background: transparent"
    parts = [f"background: {st.face}", f"color: {st.ink}"]
    if st.edge not in ("none", "white"):
        parts.append(f"box-shadow: inset 0 0 0 1px {st.edge}")
    if st.height < 1:
        parts.append(f"background: linear-gradient(transparent 40%, {st.face} 40% 60%, "
                     "transparent 60%)")
    if st.hatch:
        parts.append(f"background-image: repeating-linear-gradient(45deg, transparent 0 3px, "
                     f"{st.edge} 3px 4px)")
    return "; ".join(parts)


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
    span = snap.state_range
    if span is None:
        return ""
    lo, hi = span
    if hi - lo + 1 > TAPE_MAX:
        return ""
    colour = subject_colors(
        {x for x in map(snap.subject_of, range(lo, hi + 1)) if x} | set(snap.subject_counts))
    cols = hi - lo + 1
    cells = ['<div class="jslab-tape-label">seq</div>']
    cells += [f'<div class="jslab-cell jslab-seq">{s}</div>' for s in range(lo, hi + 1)]
    cells.append('<div class="jslab-tape-label">stream</div>')
    shown: set[str] = set()
    for s in range(lo, hi + 1):
        subject = snap.subject_of(s)
        if snap.is_stored(s):
            shown.add(subject or "")
            tip = escape(f"seq {s}: {subject or 'subject not loaded'}", quote=True)
            back = colour.get(subject, "#9aa5b1") if subject else "#9aa5b1"
            cells.append(f'<div class="jslab-cell" style="background:{back}" '
                         f'title="{tip}"></div>')
        elif s <= snap.last_seq:
            edge = colour.get(subject, GAP_EDGE) if subject else GAP_EDGE
            tip = escape(f"seq {s}: removed" + (f" ({subject})" if subject else ""), quote=True)
            cells.append(f'<div class="jslab-cell jslab-gap" style="box-shadow: inset 0 0 0 '
                         f'1px {edge}" title="{tip}"></div>')
        else:
            cells.append('<div class="jslab-cell"></div>')
    present: set[str] = set()
    for c in snap.consumers:
        cells.append(f'<div class="jslab-tape-label" title="{escape(c.name, quote=True)}">'
                     f"{escape(c.name)}</div>")
        marks = [""] * cols
        for run in snap.consumer_states(c, lo, hi):
            present.add(run.state)
            for seq in range(run.first, run.last + 1):
                marks[seq - lo] = run.state
        for s, state in zip(range(lo, hi + 1), marks, strict=True):
            if not state:
                cells.append('<div class="jslab-cell"></div>')
                continue
            times = c.times(s)
            text = {"redelivered": f"×{times}", "given_up": f"×{times}", "terminated": "X",
                    "unknown": "?"}.get(state, "")
            label = STATES[state].label.replace("×N", f"×{times}" if times else "×N")
            tip = escape(f"{c.name} seq {s}: {label}", quote=True)
            cells.append(f'<div class="jslab-cell jslab-state-{state}" '
                         f'style="{_state_css(state)}" title="{tip}">{escape(text)}</div>')
    grid = (f'<div class="jslab-tape" style="grid-template-columns: max-content '
            f'repeat({cols}, minmax(10px, 1fr))">{"".join(cells)}</div>')
    key = " ".join(
        f'<span class="jslab-swatch" style="background:{colour[s]}"></span>{escape(s)}'
        for s in sorted(x for x in shown if x)
    )
    legend = f'<div class="jslab-legend">{key}</div>' if key else ""
    states = " ".join(
        f'<span class="jslab-swatch jslab-state-{name}" style="{_state_css(name)}"></span>'
        f"{escape(st.char)} {escape(st.label)}"
        for name, st in STATES.items() if name in present and name != "removed")
    if states:
        legend += f'<div class="jslab-legend">{states}</div>'
    return grid + legend


def _consumer_rows(c: ConsumerSnapshot) -> list[tuple[str, str]]:
    pending = formatting.count(c.num_ack_pending)
    if c.unacked:
        pending += f" (seqs {formatting.seq_ranges(c.unacked)})"
    redelivered = str(c.num_redelivered)
    if c.redelivered:
        redelivered += " (" + ", ".join(f"{s} x{n}" for s, n in sorted(c.redelivered.items())) + ")"
    rows = [
        ("kind", ("push" if c.push else "pull") + (" durable" if c.durable else " ephemeral")),
        ("policies", f"ack {c.ack_policy}, deliver {c.deliver_policy}, replay {c.replay_policy}"),
        ("filter", c.filter_label),
        ("start", start_text(c)),
        ("ack floor", f"stream seq {c.ack_floor_stream_seq}, consumer seq "
                      f"{c.ack_floor_consumer_seq}"),
        ("delivered", f"stream seq {c.delivered_stream_seq}, consumer seq "
                      f"{c.delivered_consumer_seq}"),
        ("ack pending", pending),
        ("redelivered", redelivered),
        ("waiting pulls", formatting.count(c.num_waiting)),
        ("unprocessed", formatting.count(c.num_pending)),
        ("paused", "yes" if c.paused else "no"),
    ]
    if c.given_up:
        rows.append(("given up", ", ".join(f"{s} x{n}" for s, n in sorted(c.given_up.items()))))
    if c.terminated:
        rows.append(("terminated", formatting.runs_text(c.terminated)))
    if c.ack_wait is not None and c.ack_policy != "none":
        rows.append(("ack wait", formatting.duration(c.ack_wait)))
    if c.max_deliver is not None and c.max_deliver > 0:
        rows.append(("max deliver", formatting.count(c.max_deliver)))
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
        ("messages", formatting.count(snap.messages)),
        ("bytes", formatting.size(snap.bytes)),
        ("deleted", formatting.count(snap.num_deleted)
                    + (f": {formatting.seq_ranges(snap.deleted)}" if snap.deleted else "")),
    ]
    state = _section("State", None, _table(state_rows) + _tape_strip(snap))

    counts = sorted(snap.subject_counts.items())
    subject_rows = [(s, formatting.count(n)) for s, n in counts[:200]]
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
